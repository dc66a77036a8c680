/**
 * Checks of pools that speak HTTP/2 to their backends, over one kept HTTP/2 connection per backend
 * (h2-probe.ts): `http` (the path's status in the expected ranges, and `body` in the first 64 KiB,
 * as http-check.ts does over HTTP/1.1) and `grpc`, the standard grpc.health.v1 Health/Check:
 * healthy when the call succeeds (grpc-status 0) and says SERVING. Its protobuf is small enough to
 * write by hand: HealthCheckRequest{service = 1: string}, HealthCheckResponse{status = 1: enum}.
 */
import { LbError } from "../errors.ts";
import type { H2Request } from "../h2/index.ts";
import { H2Probe, type H2ProbeResponse } from "./h2-probe.ts";
import type { CheckSpec, CheckTarget, HealthCheck } from "./types.ts";

/** HealthCheckResponse.ServingStatus SERVING. */
const SERVING = 1;

/** Probes on one kept connection per backend; a failed probe closes it. */
function probing(spec: CheckSpec, type: "http" | "grpc", judge: (r: H2ProbeResponse) => string | undefined, request: (t: CheckTarget) => [H2Request, Buffer | null]): HealthCheck {
  const probes = new Map<string, H2Probe>();
  return {
    type,
    async check(target: CheckTarget, signal: AbortSignal): Promise<void> {
      let p = probes.get(target.key);
      if (p === undefined || !p.usable) probes.set(target.key, (p = new H2Probe(target, spec.protocol === "h2" ? (spec.tls ?? { verify: true }) : undefined)));
      const probe = p;
      const onAbort = () => probe.fail(new LbError("UPSTREAM_TIMEOUT", `${type} check of ${target.key} timed out`));
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort);
      try {
        const [req, body] = request(target);
        const why = judge(await probe.exchange(req, body));
        if (why !== undefined) {
          probe.close();
          throw new LbError("UPSTREAM_PROTOCOL", `${type} check of ${target.key}: ${why}`);
        }
      } catch (e) {
        probe.close();
        throw e;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
    release(target: CheckTarget): void {
      probes.get(target.key)?.close();
      probes.delete(target.key);
    },
  };
}

function authority(spec: CheckSpec, t: CheckTarget): string {
  return spec.hostHeader ?? `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
}

/** An http check spoken over HTTP/2. */
export function h2HttpCheck(spec: CheckSpec): HealthCheck {
  const scheme = spec.protocol === "h2" ? "https" : "http";
  return probing(spec, "http", (r) => {
    if (!spec.expectStatus.some(([lo, hi]) => r.status >= lo && r.status <= hi)) return `status ${r.status}`;
    if (spec.expectBody !== undefined && !r.body.toString("latin1").includes(spec.expectBody)) return `body lacks "${spec.expectBody}"`;
    return undefined;
  }, (t) => [{ method: spec.method, scheme, authority: authority(spec, t), path: spec.path, fields: ["user-agent", "fulcrum-health", "accept", "*/*"] }, null]);
}

/** The grpc.health.v1 request for `service`, length-prefixed as gRPC frames a message. */
function healthRequest(service: string): Buffer {
  const name = Buffer.from(service, "utf8");
  const msg = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  msg.copy(frame, 5);
  return frame;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** HealthCheckResponse.status from the response's first message (-1 when there is none). */
function servingStatus(body: Buffer): number {
  if (body.length < 5) return -1;
  const len = body.readUInt32BE(1), msg = body.subarray(5, 5 + len);
  if (msg.length === 0) return 0; // proto3: an absent field is 0 (UNKNOWN)
  if (msg[0] !== 0x08 || msg.length < 2) return -1;
  return msg[1]!;
}

/** The standard gRPC health check (grpc.health.v1.Health/Check) for `spec.service`. */
export function grpcCheck(spec: CheckSpec): HealthCheck {
  const scheme = spec.protocol === "h2" ? "https" : "http";
  const body = healthRequest(spec.service);
  return probing(spec, "grpc", (r) => {
    if (r.status !== 200) return `HTTP status ${r.status}`;
    const grpcStatus = r.trailers?.get("grpc-status") ?? r.head.get("grpc-status");
    if (grpcStatus !== "0") return `grpc-status ${grpcStatus ?? "missing"}${r.trailers?.get("grpc-message") ? `: ${decodeURIComponent(r.trailers.get("grpc-message")!)}` : ""}`;
    const status = servingStatus(r.body);
    return status === SERVING ? undefined : `service ${spec.service === "" ? "(server)" : spec.service} is not SERVING (status ${status})`;
  }, (t) => [{
    method: "POST", scheme, authority: authority(spec, t), path: "/grpc.health.v1.Health/Check",
    fields: ["content-type", "application/grpc", "te", "trailers", "user-agent", "fulcrum-health"],
  }, body]);
}
