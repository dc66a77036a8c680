/**
 * The view types the data plane fills and the admin API reads, in a leaf module both import, so
 * the runtime never imports src/admin. The composition root (src/cli/start.ts) passes a RuntimeView
 * to the admin; every method is optional: until one exists the admin reports "unknown" or leaves
 * the field out. The admin never mutates through it and never touches sockets (DESIGN.md "Admin").
 */

import type { Snapshot } from "./config/index.ts";

/** Health of one backend as the health checker sees it. */
export type BackendHealth = "healthy" | "unhealthy" | "unknown";

/**
 * HTTP traffic of a listener, route, pool or backend: finished requests (attempts, for a backend)
 * and how many ended in each status class ("none" = no status), in-flight work, body bytes from
 * (`bytes_in`) and to (`bytes_out`) clients, retries, and errors by code. Zero counts are left out
 * of `by_class` and `errors`.
 */
export interface TrafficCounters {
  requests: number;
  by_class: Record<string, number>;
  active: number;
  bytes_in: number;
  bytes_out: number;
  retries: number;
  errors: Record<string, number>;
}

/** Live counters for one backend. */
export interface BackendStats {
  /** L4 connections recorded in the connection-tracking tables. */
  active_connections?: number;
  /** In-flight L7 requests plus open L4 connections (the load balancers read). */
  active_requests?: number;
  requests_total?: number;
  failures_total?: number;
  ejected?: boolean;
  ejections_total?: number;
  traffic?: TrafficCounters;
}

/** A listener as bound by the data plane. */
export interface ListenerState {
  name: string;
  address: string;
  bound: boolean;
  active_connections?: number;
  /** https, tls_passthrough, tcp with PROXY headers: connections closed at handshake_timeout_ms */
  handshake_timeouts?: number;
  /** tcp and tls_passthrough: connections the backend reset, passed on to the client as a reset */
  upstream_resets?: number;
  /** with `access`: connections (udp: datagrams; http(s): requests) its access list refused */
  access_denied?: number;
  /** with max_connections_per_client: connections refused over it, and let through uncounted (table full) */
  client_limit_refused?: number;
  client_limit_untracked?: number;
  /** https with client_auth: client certificates refused (missing, expired, untrusted, invalid) */
  client_cert_refused?: number;
}

/** The kinds of series the stats history keeps. */
export type HistoryScope = "listener" | "route" | "pool" | "backend";

/** Which part of the stats history to read (GET /v1/stats/history). */
export interface HistoryQuery {
  /** The newest `seconds` samples (one a second), at most the ring's capacity. */
  seconds: number;
  /** Only these kinds of series; all when absent. */
  scopes?: readonly HistoryScope[];
  /** Only this listener and its routes. */
  listener?: string;
  /** Only this pool and its backends. */
  pool?: string;
}

/**
 * One series of per-second samples, aligned with HistoryView.time; null where the series did not
 * exist yet, or (latency) where no request finished in that second. `requests` is HTTP requests
 * finished in the second (backends: requests or L4 connections sent to it), `rps` the same per
 * second of wall time; `status_4xx`, `status_5xx` and `no_response` split them by how they ended,
 * `errors` counts those that ended with an x-fulcrum-error; `active` is open client connections
 * (listeners), in-flight requests (routes, pools) or in-flight requests plus L4 connections
 * (backends). Latency: request head in to response head out for listeners and routes (requests
 * answered by the proxy itself, such as a 404 or 429, are not timed), request sent to response
 * head for pools and backends.
 */
export interface HistorySeries {
  scope: HistoryScope;
  /** Listener, route or pool name, or a backend's address. */
  name: string;
  /** Routes: their listener. */
  listener?: string;
  /** Backends: their pool. */
  pool?: string;
  requests: (number | null)[];
  rps: (number | null)[];
  status_4xx: (number | null)[];
  status_5xx: (number | null)[];
  no_response: (number | null)[];
  errors: (number | null)[];
  active: (number | null)[];
  p50_ms: (number | null)[];
  p99_ms: (number | null)[];
}

/** A window of the stats history: sample times (unix seconds, oldest first) and the series. */
export interface HistoryView {
  interval_ms: number;
  /** Samples the node keeps per series. */
  capacity: number;
  time: number[];
  series: HistorySeries[];
}

/** The running node itself: which binary, since when (an upgrade shows as a new pid, version and start). */
export interface NodeInfo {
  version: string;
  pid: number;
  /** ISO 8601 time the process started. */
  started_at: string;
  /** Worker threads serving (1: no workers, the data plane runs on the main thread). */
  workers: number;
  /** The process this one took the listening sockets over from, on an upgrade. */
  upgraded_from?: number;
  /** With more than one worker: each one, by index. */
  worker_states?: WorkerInfo[];
}

/** One worker of a node of several (the fulcrum_worker_* series, as /v1/status shows them). */
export interface WorkerInfo {
  /** Its index (a restarted worker keeps it). */
  worker: number;
  /** Running and serving a revision. */
  up: boolean;
  /** The revision it serves; -1 before its first. */
  revision: number;
  /** Client connections open in it now. */
  connections: number;
  /** HTTP requests finished and L4 connections and UDP flows relayed at this index, its predecessors' included. */
  requests_total: number;
  /** Times the worker at this index died and was started again. */
  restarts: number;
}

/** A pool's DNS discovery: what it asks, what it found, how its lookups went. */
export interface DiscoveryState {
  dns: string;
  type: string;
  /** Backends in the last good answer. */
  active: number;
  /** Backends that left the answer and drain until removed. */
  draining: number;
  lookups: number;
  failures: number;
  last_lookup?: string;
  last_success?: string;
  /** Why the last lookup failed; absent once one succeeded again. */
  last_error?: string;
}

/** What the data plane exposes to the admin API; implement any subset. */
export interface RuntimeView {
  /** The node itself (GET /v1/status `node`). */
  node?(): NodeInfo;
  /** A node of several workers: each one (GET /v1/status `node.worker_states`). */
  workerStates?(): WorkerInfo[];
  /** Health of `address` in `pool`; absent means "unknown". */
  backendHealth?(pool: string, address: string): BackendHealth;
  /** Live counters of `address` in `pool`. */
  backendStats?(pool: string, address: string): BackendStats | undefined;
  /** HTTP traffic of a listener, a route (name "listener/route") or a pool; undefined = not tracked. */
  traffic?(scope: "listener" | "route" | "pool", name: string): TrafficCounters | undefined;
  /** Bound listeners. */
  listeners?(): ListenerState[];
  /**
   * A pool's selector as requests use it now (health, ejections and panic applied): the backends
   * its slots index and, for a hashing pool, its lookup table. Undefined for an unknown pool.
   */
  poolTable?(pool: string): { backends: readonly { address: string; weight: number; discoveredFrom?: string }[]; table?: Int32Array } | undefined;
  /** Per-second samples of the traffic counters, newest last. */
  history?(query: HistoryQuery): HistoryView;
  /**
   * Throws CONFIG_INVALID (with paths) when the data plane could not serve `snapshot`, e.g. a new
   * listener address is taken: the admin API then refuses the write instead of storing it.
   */
  preflight?(snapshot: Snapshot): void | Promise<void>;
  /** A pool's DNS discovery; undefined when the pool has none. */
  discovery?(pool: string): DiscoveryState | undefined;
}
