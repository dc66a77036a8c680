/**
 * The Snapshot: one immutable, validated, fully resolved view of the config at a revision. The data
 * plane reads `holder.current()` once per connection (L4) or request (L7) and keeps that object for
 * the lifetime; nothing in it changes after compile (deep-frozen), except selectors' private
 * counters. References are resolved to objects (a route's `pool` IS the SnapshotPool), defaults are
 * filled, hosts are lower-case, regexes and CIDR lists compiled. Data only, apart from `selector`,
 * `pathRegex`, the CIDR and access lists and the SNI table.
 */
import type { AccessList, CidrList, HostPattern, HostTable } from "../net/index.ts";
import type { RouteRegex } from "./route-regex.ts";
import type { AccessLogField, ACCESS_LOG_FORMATS } from "./schema-access-log.ts";
import type { SnapshotPool } from "./snapshot-pool.ts";

export type {
  SnapshotBackend,
  SnapshotCircuitBreaker,
  SnapshotDiscovery,
  SnapshotHealthCheck,
  SnapshotOutlierDetection,
  SnapshotPool,
  SnapshotSticky,
  SnapshotUpstreamTls,
} from "./snapshot-pool.ts";

export type { AccessLogField };
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];

/** W3C Trace Context on an http(s) listener; a route may override `sampleRate`. */
export interface SnapshotTracing {
  /** Share of new traces (requests without a valid traceparent) that are sampled, 0..1. */
  readonly sampleRate: number;
  /** Full OTLP/HTTP traces URL (".../v1/traces"); absent = propagate and log only, export nothing. */
  readonly otlpEndpoint?: string;
  readonly serviceName: string;
}

/**
 * Response compression on an http(s) listener or route, defaults filled (the L7 engine reads it as
 * its CompressPolicy). Media types are lower-case without parameters.
 */
export interface SnapshotCompress {
  /** Codings offered, preferred first (when the client's q-values tie). */
  readonly algorithms: readonly ("br" | "zstd" | "gzip")[];
  /** A response declaring a smaller Content-Length is sent as it is. */
  readonly minBytes: number;
  /** Exact media types compressed ("text/html"). */
  readonly types: readonly string[];
  /** Families compressed, as prefixes ("text/" for text/*). */
  readonly typePrefixes: readonly string[];
  /** "*" was listed: any type (gRPC excepted). */
  readonly anyType: boolean;
  readonly levels: { readonly gzip: number; readonly br: number; readonly zstd: number };
}

/** One header name and value. */
export interface HeaderPair {
  /** lower-case */
  readonly name: string;
  readonly value: string;
}

/** Header edits, names lower-case: remove first, then set (replace), then add (append). */
export interface SnapshotHeaderOps {
  readonly set: readonly HeaderPair[];
  readonly add: readonly HeaderPair[];
  readonly remove: readonly string[];
}

/** What a request must satisfy; every present part must match (absent = any). */
export interface SnapshotRouteMatch {
  /** against the request's host (Host, or an absolute-form target's authority) by src/net's hostMatches */
  readonly host?: HostPattern;
  /** the whole path (no query) */
  readonly path?: string;
  readonly pathPrefix?: string;
  /** tested against the path (no query); unanchored unless the pattern anchors; linear time */
  readonly pathRegex?: RouteRegex;
  /** upper-case; absent = any method */
  readonly methods?: readonly string[];
  /** each header present with exactly this value */
  readonly headers: readonly HeaderPair[];
  /** each query parameter present with exactly this value (names as written, case-sensitive) */
  readonly query: readonly { readonly name: string; readonly value: string }[];
  /** a verified client certificate that carries these (https listeners with clientAuth) */
  readonly clientCert?: SnapshotClientCertMatch;
}

/** What a verified client certificate must carry; absent parts are not checked. */
export interface SnapshotClientCertMatch {
  /** one of the certificate's SANs matches one of these */
  readonly san?: readonly SnapshotSanPattern[];
  /** the subject as RFC 4514 text (as x-forwarded-client-cert shows it) */
  readonly subject?: string;
}

/** A SAN value as matched: DNS names compare without case (against `lower`), the other kinds exactly. */
export interface SnapshotSanPattern {
  /** as configured, without the trailing "*" of a prefix pattern */
  readonly value: string;
  readonly lower: string;
  /** configured with a trailing "*": any SAN starting with `value` matches */
  readonly prefix: boolean;
}

/** https: client certificates are asked for and verified against `caPem` (mTLS). */
export interface SnapshotClientAuth {
  /** the CA bundle (PEM): client_auth.ca_pem, or the cert_pem of the certificate client_auth.ca names */
  readonly caPem: string;
  /** require: no valid certificate, no handshake; optional: none is fine, an invalid one gets 403 */
  readonly mode: "require" | "optional";
}

/** A route of an http(s) listener. Exactly one of `pool` and `redirect` is set. */
export interface SnapshotRoute {
  readonly name: string;
  readonly match: SnapshotRouteMatch;
  /** route.pool, else the listener's default pool */
  readonly pool?: SnapshotPool;
  readonly redirect?: { readonly scheme?: "http" | "https"; readonly host?: string; readonly port?: number; readonly status: 301 | 302 | 307 | 308 };
  /** replaces the matched match.path_prefix (or the whole match.path) with this */
  readonly rewrite?: { readonly pathPrefix: string };
  /** the Host sent upstream instead of the client's (rewrite.host) */
  readonly hostRewrite?: string;
  /** upgrade protocols forwarded, lower-case (name or name/version); undefined = websocket only */
  readonly upgrade?: readonly string[];
  /** attempts = extra tries after the first (0 = none); on: failure kinds / statuses ("502") */
  readonly retries: { readonly attempts: number; readonly on: readonly string[]; readonly nonIdempotent: boolean };
  readonly timeoutMs?: number;
  /** overrides the pool's requestTimeoutMs */
  readonly requestTimeoutMs?: number;
  /** override the pool's connectTimeoutMs / idleTimeoutMs */
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly rateLimit?: SnapshotRateLimit;
  readonly requestHeaders?: SnapshotHeaderOps;
  readonly responseHeaders?: SnapshotHeaderOps;
  /** client addresses served (the X-Forwarded-For client behind a trusted proxy); else 403 */
  readonly access?: AccessList;
  /** Trace context on this route: the listener's, with the route's sample_rate when it has one; absent = off. */
  readonly tracing?: SnapshotTracing;
  /** Response compression: the listener's, with the route's own fields over it; absent = off. */
  readonly compress?: SnapshotCompress;
}

/** A certificate with its private key (PEM), for TLS termination. */
export interface SnapshotCertificate {
  readonly name: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** tls_passthrough: server names (first rule that matches wins) and their pool. */
export interface SnapshotSniRule {
  readonly names: readonly HostPattern[];
  readonly pool: SnapshotPool;
}

/** A listener; its `address` is as configured, `host`/`port` parsed (port 0 = OS picks). */
export interface SnapshotListener {
  readonly name: string;
  readonly protocol: "http" | "https" | "tcp" | "udp" | "tls_passthrough";
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** tcp/udp: the pool; http(s): the default when no route matches; tls_passthrough: no sni match */
  readonly pool?: SnapshotPool;
  /** http(s) only, first match wins; [] otherwise */
  readonly routes: readonly SnapshotRoute[];
  /** https only: certificates in configured order (the first is the default for unknown SNI) */
  readonly certificates: readonly SnapshotCertificate[];
  /** tls_passthrough only, in order; [] otherwise */
  readonly sni: readonly SnapshotSniRule[];
  /** tls_passthrough only: `sni` as one table (an exact name wins, then the longest wildcard) */
  readonly sniTable?: HostTable<SnapshotPool>;
  /** peers allowed (and then required) to send a PROXY header, compiled once */
  readonly proxyProtocol: { readonly acceptFrom: CidrList; readonly send: "none" | "v1" | "v2" };
  /** peers whose X-Forwarded-For is believed (size 0 = none), compiled once */
  readonly trustedProxies: CidrList;
  /** undefined = unlimited */
  readonly maxConnections?: number;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  /** http(s): runs of "/" in a request path count as one (default true, as nginx) */
  readonly mergeSlashes: boolean;
  /** https: accept to finished TLS handshake; tls_passthrough / tcp: accept to the whole preamble */
  readonly handshakeTimeoutMs: number;
  /** largest request body in bytes; 0 = no limit */
  readonly maxBodyBytes: number;
  readonly rateLimit?: SnapshotRateLimit;
  /** http(s): the access log; undefined = off */
  readonly accessLog?: SnapshotAccessLog;
  /** https: the protocols ALPN offers, preferred first ([] for other protocols) */
  readonly alpn: readonly ("h2" | "http/1.1")[];
  /**
   * http: a connection opening with HTTP/2's preface is served as h2c; "only": every connection is
   * HTTP/2 (false for other protocols)
   */
  readonly h2c: boolean | "only";
  /** udp listeners only (always set for them): the flow table */
  readonly udp?: SnapshotUdp;
  /** client addresses that may connect (the TCP peer, or a trusted PROXY header's source) */
  readonly access?: AccessList;
  /** most open connections (udp: flows) per client address; undefined = no limit */
  readonly maxConnectionsPerClient?: number;
  /** https only: client certificates (mTLS) */
  readonly clientAuth?: SnapshotClientAuth;
  /** http(s): W3C Trace Context for requests no route matched (routes carry their own); absent = off. */
  readonly tracing?: SnapshotTracing;
  /** http(s): response compression for requests no route matched (routes carry their own); absent = off. */
  readonly compress?: SnapshotCompress;
}

/** Where a listener's access-log lines go, and what they carry. */
export interface SnapshotAccessLog {
  /** "stdout" or a file path (appended to, created if missing). */
  readonly path: string;
  readonly format: AccessLogFormat;
  /** The fields of each line, in this order. */
  readonly fields: readonly AccessLogField[];
}

/** A udp listener's flow table: its cap, and how idle a flow must be before a new client may evict it. */
export interface SnapshotUdp {
  readonly maxFlows: number;
  readonly minIdleMs: number;
}

/** Token bucket per client address; `burst` defaults to max(1, rps). */
export interface SnapshotRateLimit {
  readonly rps: number;
  readonly burst: number;
}

/** The whole compiled config at `revision`. Lookup records have no prototype (any name is safe). */
export interface Snapshot {
  readonly revision: number;
  readonly listeners: readonly SnapshotListener[];
  readonly pools: Readonly<Record<string, SnapshotPool>>;
  readonly certificates: Readonly<Record<string, SnapshotCertificate>>;
}
