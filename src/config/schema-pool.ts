/**
 * Pool and backend schemas. Defaults that depend on the algorithm (table_size, hash_on,
 * ring_min_size) are filled by a transform so a document read back is accepted again unchanged.
 */
import { z } from "zod";
import { ALGORITHMS as BALANCE_ALGORITHMS, parseHashOn, type Algorithm } from "../balance/index.ts";
import { BackendAddressSchema, isPrime, NameSchema, PositiveInt } from "./schema-common.ts";
import { DiscoverySchema } from "./schema-discovery.ts";

/** Maglev's default (and Envoy's): the prime table size used when none is given. */
export const DEFAULT_TABLE_SIZE = 65537;
/** Largest Maglev table accepted (Envoy's limit). */
export const MAX_TABLE_SIZE = 5_000_011;
/** Ring hash's default minimum ring size (Envoy's). */
export const DEFAULT_RING_MIN_SIZE = 1024;

/** Every balancing algorithm a pool may name: balance's list, as the tuple zod's enum wants. */
export const ALGORITHMS = BALANCE_ALGORITHMS as readonly Algorithm[] as [Algorithm, ...Algorithm[]];
export type { Algorithm };

/** Algorithms that hash a request key chosen by hash_on. */
export const HASH_ON_ALGORITHMS: readonly Algorithm[] = ["maglev", "ring_hash"];
/** Algorithms that build a Maglev lookup table of table_size slots. */
export const TABLE_ALGORITHMS: readonly Algorithm[] = ["maglev", "source_ip_hash"];
/** Algorithms that accept hash_balance_factor (bounded load). */
export const BOUNDED_LOAD_ALGORITHMS: readonly Algorithm[] = ["maglev", "ring_hash", "source_ip_hash"];

/** A backend: "host:port", weight 0..1000 (default 1), state (default active). */
export const BackendSchema = z.strictObject({
  address: BackendAddressSchema,
  weight: z.number().int().min(0).max(1000).default(1),
  state: z.enum(["active", "draining", "disabled"]).default("active"),
});

/** source_ip | five_tuple | header:NAME | cookie:NAME | query:NAME (balance's parser decides). */
export const HashOnSchema = z.string().superRefine((s, ctx) => {
  try {
    parseHashOn(s);
  } catch {
    // parseHashOn's only failure is a malformed string; the message below says what is accepted.
    ctx.addIssue({ code: "custom", message: "must be source_ip, five_tuple, header:NAME, cookie:NAME or query:NAME" });
  }
});

/** Cookie-based session affinity; the secret signs the cookie and must be the same on every node. */
export const StickySchema = z.strictObject({
  cookie: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a cookie name"),
  ttl_s: PositiveInt.default(3600),
  secret: z.string().min(32, "must be at least 32 characters (the same on every node)"),
});

/** "200" or "200-399" (or a bare number): statuses an http check accepts. */
const StatusRangeSchema = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]\d\d(-[1-5]\d\d)?$/, "must be a status like 200 or a range like 200-399"),
]);

const HealthCheckFields = z.strictObject({
  type: z.enum(["http", "tcp", "tls", "grpc"]).default("tcp"),
  /** grpc: the service name asked about (grpc.health.v1 HealthCheckRequest.service; default "": the server). */
  service: z.string().optional(),
  path: z.string().startsWith("/", "must start with /").optional(),
  method: z.string().regex(/^[A-Z]+$/, "must be an upper-case HTTP method").optional(),
  host: z.string().optional(),
  expected_status: z.array(StatusRangeSchema).min(1).optional(),
  body: z.string().min(1).optional(),
  /** http: one kept connection per backend for every probe (default true); false = a new one per probe. */
  reuse_connection: z.boolean().optional(),
  send: z.string().min(1).optional(),
  expect: z.string().min(1).optional(),
  server_name: z.string().min(1).optional(),
  interval_ms: PositiveInt.default(2000),
  unhealthy_interval_ms: PositiveInt.optional(),
  timeout_ms: PositiveInt.default(1000),
  jitter: z.number().min(0).max(1).optional(),
  healthy_threshold: PositiveInt.max(100).default(2),
  unhealthy_threshold: PositiveInt.max(100).default(3),
  initial: z.enum(["optimistic", "pessimistic"]).optional(),
  /**
   * In a cluster: when the nodes that check a backend make it down for all. majority (the default:
   * more than half say down), any (one is enough), all, or N (at least N, or all when fewer check).
   */
  cluster_quorum: z.union([z.enum(["majority", "any", "all"]), PositiveInt.max(1000)]).optional(),
});

/** Active health checking; an http check without a path probes "/". */
export const HealthCheckSchema = HealthCheckFields.transform((h) =>
  h.type === "http" && h.path === undefined ? { ...h, path: "/" } : h,
);

/** Passive health: eject backends that keep failing real traffic (Envoy's outlier detection). */
export const OutlierDetectionSchema = z.strictObject({
  consecutive_5xx: PositiveInt.max(1000).optional(),
  consecutive_gateway_failures: PositiveInt.max(1000).optional(),
  base_ejection_ms: PositiveInt.optional(),
  max_ejection_ms: PositiveInt.optional(),
  max_ejection_percent: z.number().int().min(0).max(100).optional(),
});

/**
 * TLS towards the pool's backends (http(s) listeners): verified against `ca_pem` (else the
 * system's roots) unless `verify` is false; `server_name` is the SNI and the name checked.
 */
export const UpstreamTlsSchema = z.strictObject({
  server_name: z.string().min(1).max(253).optional(),
  ca_pem: z.string().includes("-----BEGIN CERTIFICATE-----", "must be PEM (-----BEGIN CERTIFICATE-----)").optional(),
  verify: z.boolean().default(true),
});

/** Per-pool caps; beyond them requests fail fast with 503 OVERFLOW. */
export const CircuitBreakerSchema = z.strictObject({
  max_connections: PositiveInt.optional(),
  max_pending_requests: PositiveInt.optional(),
  max_requests: PositiveInt.optional(),
});

const PoolFields = z.strictObject({
  name: NameSchema,
  algorithm: z.enum(ALGORITHMS).default("round_robin"),
  hash_on: HashOnSchema.optional(),
  table_size: z
    .number()
    .int()
    .max(MAX_TABLE_SIZE, `must be at most ${MAX_TABLE_SIZE}`)
    .refine(isPrime, `must be a prime (${DEFAULT_TABLE_SIZE} is the default)`)
    .optional(),
  ring_min_size: PositiveInt.max(8_388_608).optional(),
  hash_balance_factor: z.number().gt(1, "must be greater than 1").max(100).optional(),
  sticky: StickySchema.optional(),
  health_check: HealthCheckSchema.optional(),
  connect_timeout_ms: PositiveInt.optional(),
  response_timeout_ms: PositiveInt.optional(),
  request_timeout_ms: PositiveInt.optional(),
  idle_timeout_ms: PositiveInt.optional(),
  outlier_detection: OutlierDetectionSchema.optional(),
  panic_threshold: z.number().int().min(0).max(100).optional(),
  slow_start_ms: z.number().int().min(0).max(3_600_000).optional(),
  circuit_breaker: CircuitBreakerSchema.optional(),
  tls: UpstreamTlsSchema.optional(),
  /** What the L7 engine speaks to the backends: HTTP/1.1, HTTP/2 over TLS (ALPN h2), or h2c (default http1). */
  protocol: z.enum(["http1", "h2", "h2c"]).optional(),
  backends: z.array(BackendSchema).default([]),
  /** Backends found in DNS, beside `backends` (runtime state: never written back as config). */
  discovery: DiscoverySchema.optional(),
});

/** A pool; algorithm-specific defaults are filled only for the algorithms they apply to. */
export const PoolSchema = PoolFields.transform((p) => {
  const out = { ...p };
  // A document read back carries the filled defaults; after switching the algorithm, a default
  // that no longer applies is dropped rather than refused, so read-modify-write just works.
  // A non-default value on an algorithm that ignores it is still an error (it shows intent).
  if (!HASH_ON_ALGORITHMS.includes(p.algorithm) && p.hash_on === "source_ip" && p.algorithm !== "source_ip_hash") delete out.hash_on;
  if (!TABLE_ALGORITHMS.includes(p.algorithm) && p.table_size === DEFAULT_TABLE_SIZE) delete out.table_size;
  if (p.algorithm !== "ring_hash" && p.ring_min_size === DEFAULT_RING_MIN_SIZE) delete out.ring_min_size;
  if (HASH_ON_ALGORITHMS.includes(p.algorithm)) out.hash_on ??= "source_ip";
  if (TABLE_ALGORITHMS.includes(p.algorithm)) out.table_size ??= DEFAULT_TABLE_SIZE;
  if (p.algorithm === "ring_hash") out.ring_min_size ??= DEFAULT_RING_MIN_SIZE;
  return out;
});
