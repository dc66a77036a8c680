/** What a pool's active check is: its resolved spec and the backends it probes (the registry's and the health relay's). */
import type { SnapshotPool } from "../../config/index.ts";
import { resolveCheckSpec, type CheckSpec } from "../../health/index.ts";

/** The backends a pool's active check probes: disabled ones are out of service, no probes spent on them. */
export function probedBackends(config: SnapshotPool): string[] {
  return config.backends.filter((b) => b.state !== "disabled").map((b) => b.address);
}

/** The pool's active check with every default filled; an http (or grpc) check speaks TLS and HTTP/2 as the pool's traffic does. */
export function checkSpecOf(config: SnapshotPool): CheckSpec | undefined {
  if (!config.healthCheck) return undefined;
  let spec = resolveCheckSpec(config.healthCheck);
  if (spec.type !== "http" && spec.type !== "grpc") return spec;
  if (config.protocol !== "http1") spec = { ...spec, protocol: config.protocol };
  const tls = config.tls;
  if (!tls) return spec;
  return { ...spec, tls: { ...(tls.serverName !== undefined ? { serverName: tls.serverName } : {}), ...(tls.ca !== undefined ? { ca: tls.ca } : {}), verify: tls.verify } };
}
