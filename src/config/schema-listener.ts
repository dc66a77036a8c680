/** Listener and route schemas (field-local checks; protocol rules live in validate-listeners.ts). */
import { z } from "zod";
import {
  CidrSchema,
  HeaderMapSchema,
  HeaderOpsSchema,
  HostPatternSchema,
  HostValueSchema,
  ListenAddressSchema,
  MethodSchema,
  NameSchema,
  PositiveInt,
  UpgradeProtocolSchema,
} from "./schema-common.ts";
import { compileRouteRegex } from "./route-regex.ts";
import { AccessSchema, ClientAuthSchema, ClientCertMatchSchema } from "./schema-access.ts";
import { AccessLogSchema } from "./schema-access-log.ts";
import { ListenerTracingSchema, RouteTracingSchema } from "./schema-tracing.ts";
import { CompressSchema } from "./schema-compress.ts";

/** What a retry may be triggered by: a failure class or an HTTP status ("502"; YAML's 502 is accepted). */
export const RetryOnSchema = z.preprocess(
  (v) => (typeof v === "number" ? String(v) : v),
  z.union([z.enum(["connect_failure", "reset", "timeout", "5xx"]), z.string().regex(/^[45]\d\d$/, "must be a failure kind or a 4xx/5xx status")]),
);

/** A route regex (RE2 syntax, unanchored unless written with ^ and $, cost bounded: route-regex.ts). */
const RegexSchema = z.string().superRefine((s, ctx) => {
  const r = compileRouteRegex(s);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

/** What a request must satisfy: every given part (absent = any); one of path, path_prefix, path_regex. */
export const RouteMatchSchema = z.strictObject({
  host: HostPatternSchema.optional(),
  path: z.string().startsWith("/", "must start with /").optional(),
  path_prefix: z.string().startsWith("/", "must start with /").optional(),
  path_regex: RegexSchema.optional(),
  methods: z.array(MethodSchema).min(1).optional(),
  headers: HeaderMapSchema.optional(),
  query: z.record(z.string().min(1), z.string()).optional(),
  /** https listeners with client_auth: the request's verified client certificate (schema-access.ts). */
  client_cert: ClientCertMatchSchema.optional(),
});

/** Answer with a redirect instead of proxying; unset parts keep the request's own. */
export const RedirectSchema = z.strictObject({
  scheme: z.enum(["http", "https"]).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  status: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)]).default(302),
});

/** What a proxied route changes in the request: the path prefix it matched, the Host sent upstream. */
export const RewriteSchema = z
  .strictObject({
    path_prefix: z.string().startsWith("/", "must start with /").optional(),
    host: HostValueSchema.optional(),
  })
  .refine((r) => r.path_prefix !== undefined || r.host !== undefined, "needs path_prefix or host");

/** Retries on another backend: `attempts` extra tries, triggered by `on`. */
export const RetriesSchema = z.strictObject({
  attempts: z.number().int().min(0).max(10),
  on: z.array(RetryOnSchema).default(["connect_failure"]),
  non_idempotent: z.boolean().default(false),
});

/** Token bucket per client address: `rps` requests a second sustained, `burst` at once. */
export const RateLimitSchema = z.strictObject({
  rps: z.number().gt(0).max(1_000_000),
  burst: PositiveInt.max(1_000_000).optional(),
});

/** A route of an http(s) listener (first match wins): a pool (default: the listener's) or a redirect. */
export const RouteSchema = z.strictObject({
  name: NameSchema,
  match: RouteMatchSchema.optional(),
  pool: NameSchema.optional(),
  redirect: RedirectSchema.optional(),
  rewrite: RewriteSchema.optional(),
  retries: RetriesSchema.optional(),
  timeout_ms: PositiveInt.optional(),
  request_timeout_ms: PositiveInt.optional(),
  connect_timeout_ms: PositiveInt.optional(),
  idle_timeout_ms: PositiveInt.optional(),
  rate_limit: RateLimitSchema.optional(),
  request_headers: HeaderOpsSchema.optional(),
  response_headers: HeaderOpsSchema.optional(),
  /** Upgrade protocols forwarded to the backend (default [websocket]; [] = none). */
  upgrade: z.array(UpgradeProtocolSchema).optional(),
  /** Client addresses served (else 403 ACCESS_DENIED), checked once the route matched. */
  access: AccessSchema.optional(),
  /** W3C Trace Context: this route's sample rate for new traces (overrides the listener's). */
  tracing: RouteTracingSchema.optional(),
  /** Response compression: the listener's `compress` with these fields over it ({ enabled: false } = off). */
  compress: CompressSchema.optional(),
});

/** tls_passthrough: ClientHello server names that go to `pool`. */
export const SniRuleSchema = z.strictObject({
  names: z.array(HostPatternSchema).min(1),
  pool: NameSchema,
});

/** PROXY protocol: accepted from these peers only; `send` to backends. */
export const ProxyProtocolSchema = z.strictObject({
  accept_from: z.array(CidrSchema).default([]),
  send: z.enum(["none", "v1", "v2"]).default("none"),
});

/**
 * udp listeners: the flow table. Full, a new client evicts the least recently active flow only if
 * it has been idle `min_idle_ms`; otherwise its datagrams are forwarded statelessly (no replies).
 */
export const UdpListenerSchema = z.strictObject({
  max_flows: PositiveInt.max(4_194_304).optional(),
  min_idle_ms: z.number().int().min(0).max(3_600_000).optional(),
});

/** A listener: where Fulcrum accepts traffic, and for which protocol. */
export const ListenerSchema = z.strictObject({
  name: NameSchema,
  protocol: z.enum(["http", "https", "tcp", "udp", "tls_passthrough"]),
  address: ListenAddressSchema,
  pool: NameSchema.optional(),
  routes: z.array(RouteSchema).default([]),
  tls: z.strictObject({ certificates: z.array(NameSchema).min(1) }).optional(),
  proxy_protocol: ProxyProtocolSchema.optional(),
  sni: z.array(SniRuleSchema).optional(),
  max_connections: PositiveInt.optional(),
  idle_timeout_ms: PositiveInt.optional(),
  header_timeout_ms: PositiveInt.optional(),
  /** https, tls_passthrough (and tcp reading PROXY headers): time from accept to a finished handshake. */
  handshake_timeout_ms: PositiveInt.optional(),
  max_body_bytes: z.number().int().min(0).optional(),
  trusted_proxies: z.array(CidrSchema).optional(),
  /** http(s): match routes with runs of "/" in the path merged into one (nginx's merge_slashes; default true). */
  merge_slashes: z.boolean().optional(),
  rate_limit: RateLimitSchema.optional(),
  access_log: AccessLogSchema.optional(),
  /** https: the protocols offered by ALPN, most preferred first (default [h2, http/1.1]). */
  alpn: z.array(z.enum(["h2", "http/1.1"])).min(1).optional(),
  /**
   * http: serve HTTP/2 to a connection that opens with its preface (h2c by prior knowledge; default
   * true); "only" serves HTTP/2 alone (HAProxy's `proto h2`, Envoy's HTTP2 codec), for gRPC fronts.
   */
  h2c: z.union([z.boolean(), z.literal("only")]).optional(),
  udp: UdpListenerSchema.optional(),
  /** Client addresses that may connect: L4 closes the others at accept (udp: drops), http(s) answers 403. */
  access: AccessSchema.optional(),
  /** Open connections (udp: flows) per client address; past it L4 closes at once, http(s) answers 429. */
  max_connections_per_client: PositiveInt.optional(),
  /** https: client certificates (mTLS). */
  client_auth: ClientAuthSchema.optional(),
  /** http(s): W3C Trace Context propagation, sampling and OTLP span export. */
  tracing: ListenerTracingSchema.optional(),
  /** http(s): compress responses (br, zstd, gzip) for clients that accept it; routes may override. */
  compress: CompressSchema.optional(),
});
