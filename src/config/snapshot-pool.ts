/**
 * The compiled pool and its parts (backends, checks, caps, TLS, affinity, DNS discovery): data only,
 * apart from the pool's `selector`. See snapshot.ts for what a Snapshot promises.
 */
import type { HashOn, Selector } from "../balance/index.ts";
import type { Algorithm } from "./schema-pool.ts";

/** A backend. `address` is "host:port" as configured (and the selector key); `host` has no brackets. */
export interface SnapshotBackend {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** 0..1000; 0 = never picked */
  readonly weight: number;
  /** only "active" backends are in `usable`; draining/disabled get no new work */
  readonly state: "active" | "draining" | "disabled";
  /** The pool's upstream TLS (the same object on every backend of the pool); absent = plain. */
  readonly tls?: SnapshotUpstreamTls;
  /** With `tls` or HTTP/2: the L7 connection-pool key (address, protocol, TLS setting), built once here. */
  readonly poolKey?: string;
  /** The pool speaks HTTP/2 to its backends (h2: over `tls`, ALPN h2); absent = HTTP/1.1. */
  readonly protocol?: "h2" | "h2c";
  /** Found in DNS (the pool's `discovery`): the name it came from; absent = from the config. */
  readonly discoveredFrom?: string;
}

/**
 * Where a pool finds backends in DNS, defaults filled. `key` tells two specs apart (a change of
 * name, type, port or resolvers starts the lookups afresh; interval or drain changes do not).
 */
export interface SnapshotDiscovery {
  readonly name: string;
  readonly type: "A" | "AAAA" | "SRV";
  /** A/AAAA: the port of every address; 0 for SRV (each record carries one). */
  readonly port: number;
  readonly intervalMs: number;
  /** In order; empty = the system's resolvers. */
  readonly resolvers: readonly { readonly host: string; readonly port: number }[];
  /** A/AAAA: the weight of each discovered backend. */
  readonly weight: number;
  readonly drainMs: number;
  readonly key: string;
}

/** TLS towards a pool's backends, as the L7 engine's upstream connections take it. */
export interface SnapshotUpstreamTls {
  readonly serverName?: string;
  readonly ca?: string;
  readonly verify: boolean;
  /** Tells connection pools apart per TLS setting: a changed CA or name never reuses old connections. */
  readonly key: string;
}

/** Session affinity settings of a pool. */
export interface SnapshotSticky {
  readonly cookie: string;
  readonly ttlS: number;
  /** HMAC secret for the cookie value, >= 32 chars, the same on every node */
  readonly secret: string;
}

/**
 * Active health checking of a pool's backends, as validated (snake_case, as the document spells
 * it); src/health's resolveCheckSpec fills the remaining defaults when the checker starts.
 */
export interface SnapshotHealthCheck {
  readonly type: "http" | "tcp" | "tls" | "grpc";
  /** grpc: the service asked about ("" or absent: the server as a whole). */
  readonly service?: string;
  readonly path?: string;
  readonly method?: string;
  readonly host?: string;
  readonly expected_status?: readonly (number | string)[];
  readonly body?: string;
  readonly send?: string;
  readonly expect?: string;
  readonly server_name?: string;
  readonly interval_ms: number;
  readonly unhealthy_interval_ms?: number;
  readonly timeout_ms: number;
  readonly jitter?: number;
  readonly healthy_threshold: number;
  readonly unhealthy_threshold: number;
  readonly initial?: "optimistic" | "pessimistic";
  /** In a cluster: the rule that turns the checking nodes' votes into the verdict every node uses. */
  readonly cluster_quorum?: "majority" | "any" | "all" | number;
}

/** Passive health settings (snake_case as configured; src/health fills Envoy's defaults). */
export interface SnapshotOutlierDetection {
  readonly consecutive_5xx?: number;
  readonly consecutive_gateway_failures?: number;
  readonly base_ejection_ms?: number;
  readonly max_ejection_ms?: number;
  readonly max_ejection_percent?: number;
}

/** Per-pool caps, defaults filled (Envoy's 1024 each). */
export interface SnapshotCircuitBreaker {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
}

/**
 * A pool. `selector.pick(ctx, attempt)` returns an index into `usable` (-1 = none). `backends`
 * lists every configured backend with its state (for status and health checks).
 */
export interface SnapshotPool {
  readonly name: string;
  readonly tls?: SnapshotUpstreamTls;
  /** What the L7 engine speaks to the backends (h2 implies TLS: `tls`, or verified defaults). */
  readonly protocol: "http1" | "h2" | "h2c";
  readonly algorithm: Algorithm;
  /** hashing pools (maglev, ring_hash: as configured, default source_ip; source_ip_hash: source_ip) */
  readonly hashOn?: HashOn;
  readonly tableSize?: number;
  readonly ringMinSize?: number;
  readonly hashBalanceFactor?: number;
  readonly sticky?: SnapshotSticky;
  readonly healthCheck?: SnapshotHealthCheck;
  readonly connectTimeoutMs: number;
  /** L7: time allowed for the backend's response head (default 60 s) */
  readonly responseTimeoutMs: number;
  /** L7: most time from the request head to the response's last byte (none when unset) */
  readonly requestTimeoutMs?: number;
  /** L7: most time a request's transfer may stall (unset: the listener's idle timeout) */
  readonly idleTimeoutMs?: number;
  readonly outlierDetection?: SnapshotOutlierDetection;
  /** panic below this % of healthy backends: balance over all of them (0 = never) */
  readonly panicThreshold: number;
  /** a backend returning to health ramps to full weight over this window (0 = at once) */
  readonly slowStartMs: number;
  readonly circuitBreaker: SnapshotCircuitBreaker;
  /** Backends are also found in DNS; the ones found are in `backends` with `discoveredFrom` set. */
  readonly discovery?: SnapshotDiscovery;
  readonly backends: readonly SnapshotBackend[];
  /** backends with state active, in config order: the selector's index space */
  readonly usable: readonly SnapshotBackend[];
  readonly selector: Selector;
}
