/**
 * Data-plane metrics. The hot path only bumps plain numbers on BackendStats; these collectors
 * copy them into Prometheus series at scrape time, so a request never touches a label map.
 */
import { OVERFLOW_KINDS } from "../../limits/index.ts";
import type { Registry } from "../../obs/index.ts";
import type { ListenerSet } from "../listeners/listener-set.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import type { BackendStats } from "../pools/backend-stats.ts";
import { STATUS_CLASSES, type L7Stats, type StatsBook } from "./traffic-stats.ts";
import type { UdpStatus } from "../listeners/udp-status.ts";
import type { ListenerCounterBook } from "./listener-counters.ts";

/** Registers the per-backend and per-listener series on `metrics`. */
export function registerDataPlaneMetrics(metrics: Registry, pools: PoolRegistry, listeners: ListenerSet, l7: L7Stats, counters: ListenerCounterBook): void {
  registerL7Metrics(metrics, l7);
  const each = (fn: (labels: { pool: string; backend: string }, s: BackendStats) => void) => {
    for (const rt of pools.all()) {
      for (const b of rt.config.backends) {
        const s = pools.stats(rt.name, b.address);
        if (s) fn({ pool: rt.name, backend: b.address }, s);
      }
    }
  };
  metrics.gauge("fulcrum_backend_active", "In-flight requests or open connections per backend", ["pool", "backend"], (g) =>
    each((l, s) => g.set(s.active, l)));
  metrics.counter("fulcrum_backend_requests_total", "Requests or connections sent to each backend", ["pool", "backend"], (c) =>
    each((l, s) => c.set(s.total, l)));
  metrics.counter("fulcrum_backend_failures_total", "Connect failures, resets and timeouts per backend", ["pool", "backend"], (c) =>
    each((l, s) => c.set(s.failures, l)));
  metrics.counter("fulcrum_backend_5xx_total", "5xx responses per backend", ["pool", "backend"], (c) =>
    each((l, s) => c.set(s.responses5xx, l)));
  registerBackendTrafficMetrics(metrics, each);
  // Flags and the shared caps' gauges read the same in every worker of a node: merged by max, not summed.
  metrics.gauge("fulcrum_backend_healthy", "1 when the backend takes new work (health, ejection and state applied)", ["pool", "backend"], (g) => {
    for (const rt of pools.all()) {
      for (const b of rt.config.backends) g.set(rt.index.has(b.address) ? 1 : 0, { pool: rt.name, backend: b.address });
    }
  }).merge = "max";
  metrics.gauge("fulcrum_pool_panic", "1 while a pool balances over unhealthy backends (panic mode)", ["pool"], (g) => {
    for (const rt of pools.all()) g.set(rt.panic ? 1 : 0, { pool: rt.name });
  }).merge = "max";
  metrics.counter("fulcrum_pool_overflows_total", "Circuit breaker cap hits per pool, by kind (connections, pending, requests, pending_timeout)", ["pool", "kind"], (c) => {
    for (const rt of pools.all()) for (const kind of OVERFLOW_KINDS) c.set(rt.breaker.overflowsByKind[kind], { pool: rt.name, kind });
  });
  metrics.gauge("fulcrum_pool_upstream_connections", "Upstream connections open to a pool's backends (idle and busy)", ["pool"], (g) => {
    for (const rt of pools.all()) g.set(rt.breaker.connections, { pool: rt.name });
  }).merge = "max";
  metrics.gauge("fulcrum_pool_pending_requests", "L7 requests waiting for an upstream connection (max_connections reached)", ["pool"], (g) => {
    for (const rt of pools.all()) g.set(rt.breaker.pending, { pool: rt.name });
  }).merge = "max";
  // Health log lines are rate-limited (a flip storm is summarised): this counter is the exact count.
  metrics.counter("fulcrum_health_transitions_total", "Backends turned healthy or unhealthy by active checks, per pool", ["pool", "to"], (c) => {
    for (const rt of pools.all()) {
      const t = pools.transitions(rt.name);
      if (!t) continue;
      c.set(t.healthy, { pool: rt.name, to: "healthy" });
      c.set(t.unhealthy, { pool: rt.name, to: "unhealthy" });
    }
  });
  metrics.counter("fulcrum_pool_ejections_total", "Outlier ejections per pool", ["pool"], (c) => {
    for (const rt of pools.all()) c.set(rt.outlier?.ejections ?? 0, { pool: rt.name });
  });
  metrics.gauge("fulcrum_listener_active_connections", "Open client connections per listener", ["listener"], (g) => {
    for (const l of listeners.states()) g.set(l.active_connections ?? 0, { listener: l.name });
  });
  metrics.gauge("fulcrum_listener_bound", "1 when the listener is bound", ["listener"], (g) => {
    for (const l of listeners.states()) g.set(l.bound ? 1 : 0, { listener: l.name });
  }).merge = "min";
  registerUdpMetrics(metrics, listeners);
  metrics.counter("fulcrum_listener_handshake_timeouts_total", "Client connections closed because the TLS handshake (https, tls_passthrough) or the PROXY header did not finish within handshake_timeout_ms", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.handshake) c.set(k.handshakeTimeouts, { listener: name });
  });
  metrics.counter("fulcrum_listener_upstream_resets_total", "tcp and tls_passthrough connections the backend reset, passed on to the client as a reset", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.l4) c.set(k.upstreamResets, { listener: name });
  });
}

/** Per udp listener: flows, flow table churn, and the stateless path a flood of new clients takes. */
function registerUdpMetrics(metrics: Registry, listeners: ListenerSet): void {
  const udp: [string, string, (s: UdpStatus) => number][] = [
    ["fulcrum_udp_flows_evicted_total", "Idle UDP flows evicted from a full flow table to make room for a new client", (s) => s.flows_evicted],
    ["fulcrum_udp_flows_expired_total", "UDP flows closed after their idle timeout", (s) => s.flows_expired],
    ["fulcrum_udp_datagrams_dropped_total", "Client datagrams dropped (no backend, or an upstream socket's connect queue full)", (s) => s.datagrams_dropped],
    ["fulcrum_udp_stateless_datagrams_total", "Client datagrams forwarded without a flow because the flow table was full of live flows", (s) => s.stateless_datagrams],
    ["fulcrum_udp_stateless_replies_dropped_total", "Backend datagrams dropped on a shared stateless socket (no flow to return them to)", (s) => s.stateless_replies_dropped],
  ];
  metrics.gauge("fulcrum_udp_flows", "Live UDP flows per listener", ["listener"], (g) => {
    for (const l of listeners.states()) if (l.udp) g.set(l.udp.flows, { listener: l.name });
  });
  for (const [name, help, value] of udp) {
    metrics.counter(name, help, ["listener"], (c) => {
      for (const l of listeners.states()) if (l.udp) c.set(value(l.udp), { listener: l.name });
    });
  }
}

/** Requests by status class, active requests, bytes, retries and errors, per listener, route and pool. */
function registerL7Metrics(metrics: Registry, l7: L7Stats): void {
  const scopes: [string, StatsBook][] = [["listener", l7.listeners], ["route", l7.routes], ["pool", l7.pools]];
  metrics.counter("fulcrum_http_requests_total", "HTTP requests by scope and status class", ["scope", "name", "class"], (c) => {
    for (const [scope, book] of scopes) {
      for (const [name, s] of book.entries()) s.byClass.forEach((v, i) => v > 0 && c.set(v, { scope, name, class: STATUS_CLASSES[i]! }));
    }
  });
  metrics.gauge("fulcrum_http_active_requests", "HTTP requests in flight by scope", ["scope", "name"], (g) => {
    for (const [scope, book] of scopes) for (const [name, s] of book.entries()) g.set(s.active, { scope, name });
  });
  metrics.counter("fulcrum_http_bytes_total", "HTTP body bytes by scope and direction", ["scope", "name", "direction"], (c) => {
    for (const [scope, book] of scopes) {
      for (const [name, s] of book.entries()) {
        c.set(s.bytesIn, { scope, name, direction: "in" });
        c.set(s.bytesOut, { scope, name, direction: "out" });
      }
    }
  });
  metrics.counter("fulcrum_http_retries_total", "Retried attempts by scope", ["scope", "name"], (c) => {
    for (const [scope, book] of scopes) for (const [name, s] of book.entries()) c.set(s.retries, { scope, name });
  });
  metrics.counter("fulcrum_http_errors_total", "Requests that ended with an x-fulcrum-error, by code", ["scope", "name", "code"], (c) => {
    for (const [scope, book] of scopes) {
      for (const [name, s] of book.entries()) for (const [code, v] of s.errors) c.set(v, { scope, name, code });
    }
  });
}

type EachBackend = (fn: (labels: { pool: string; backend: string }, s: BackendStats) => void) => void;

/**
 * Per backend, the fulcrum_http_* set of listeners, routes and pools (labels pool + backend):
 * L7 attempts by how they ended, bytes (L7 and L4), retries that reached it, errors by code.
 */
function registerBackendTrafficMetrics(metrics: Registry, each: EachBackend): void {
  metrics.counter("fulcrum_backend_http_requests_total", "HTTP attempts sent to each backend, by status class of how each ended (its answer, or the 502/504 its failure maps to)", ["pool", "backend", "class"], (c) =>
    each((l, s) => s.byClass.forEach((v, i) => v > 0 && c.set(v, { ...l, class: STATUS_CLASSES[i]! }))));
  metrics.counter("fulcrum_backend_bytes_total", "Client-side bytes of the HTTP requests and L4 connections each backend served, by direction (in = from the client)", ["pool", "backend", "direction"], (c) =>
    each((l, s) => {
      c.set(s.bytesIn, { ...l, direction: "in" });
      c.set(s.bytesOut, { ...l, direction: "out" });
    }));
  metrics.counter("fulcrum_backend_retries_total", "HTTP attempts that reached each backend as a retry", ["pool", "backend"], (c) =>
    each((l, s) => c.set(s.retries, l)));
  metrics.counter("fulcrum_backend_errors_total", "HTTP attempts to each backend that ended with an error, by code", ["pool", "backend", "code"], (c) =>
    each((l, s) => {
      for (const [code, v] of s.errors) c.set(v, { ...l, code });
    }));
}
