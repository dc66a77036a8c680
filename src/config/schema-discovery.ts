/**
 * A pool's backends from DNS (`discovery`): the name, the record type, the port (A/AAAA; SRV
 * records carry their own), how often to look again, which resolvers to ask, and how long a
 * backend that left the answer keeps draining. Field-local checks here; the A/AAAA-need-a-port
 * rule is the transform's refinement below, so its message names the field.
 */
import { z } from "zod";
import { ipFamily, isHostname } from "../net/index.ts";
import { PositiveInt } from "./schema-common.ts";

/** Default re-resolve interval (the record's TTL shortens it): 30 s, Envoy's dns_refresh_rate is 5 s, HAProxy's hold valid 10 s. */
export const DEFAULT_DISCOVERY_INTERVAL_MS = 30_000;
/** How long a backend that left the DNS answer keeps its connections and requests (no new ones) before it is removed. */
export const DEFAULT_DISCOVERY_DRAIN_MS = 30_000;

/** A resolver's address: "10.0.0.2", "10.0.0.2:5353", "::1" or "[::1]:5353" (port default 53). */
export function parseResolver(s: string): { host: string; port: number } | string {
  const bad = `"${s}" is not a resolver address (an IP, optionally with :port; IPv6 as [addr]:port)`;
  if (ipFamily(s) !== 0) return { host: s, port: 53 };
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:]+):(\d{1,5})$/.exec(s);
  if (!m) return bad;
  const port = Number(m[2]);
  const family = ipFamily(m[1]!);
  if (family === 0 || (family === 6) !== s.startsWith("[")) return bad;
  if (port < 1 || port > 65535) return `port ${port} is out of range`;
  return { host: m[1]!, port };
}

const ResolverSchema = z.string().superRefine((s, ctx) => {
  const r = parseResolver(s);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

const DiscoveryFields = z.strictObject({
  /** The name asked for: "app.internal", or for SRV "_http._tcp.app.internal". */
  dns: z.string().refine(isHostname, "must be a DNS name (an IP address is a static backend: put it in backends)"),
  type: z.enum(["A", "AAAA", "SRV"]).default("A"),
  /** A/AAAA: the port every address serves on (required); SRV records carry their own. */
  port: z.number().int().min(1).max(65535).optional(),
  interval_ms: PositiveInt.min(100, "must be at least 100").default(DEFAULT_DISCOVERY_INTERVAL_MS),
  /** Resolvers asked in order (default: the system's, from /etc/resolv.conf). */
  resolvers: z.array(ResolverSchema).min(1).max(8).optional(),
  /** A/AAAA: the weight of every discovered backend (SRV: each record's weight). */
  weight: z.number().int().min(1).max(1000).optional(),
  drain_ms: z.number().int().min(0).max(3_600_000).default(DEFAULT_DISCOVERY_DRAIN_MS),
});

/** `discovery` on a pool. */
export const DiscoverySchema = DiscoveryFields.superRefine((d, ctx) => {
  const srv = d.type === "SRV";
  if (!srv && d.port === undefined) ctx.addIssue({ code: "custom", path: ["port"], message: `required for type ${d.type} (SRV records carry their own port)` });
  if (srv && d.port !== undefined) ctx.addIssue({ code: "custom", path: ["port"], message: "not for type SRV: each SRV record carries its port" });
  if (srv && d.weight !== undefined) ctx.addIssue({ code: "custom", path: ["weight"], message: "not for type SRV: each SRV record carries its weight" });
});

export type Discovery = z.output<typeof DiscoverySchema>;
