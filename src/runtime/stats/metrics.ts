/**
 * Data-plane metrics, one family per level: `fulcrum_listener_*`, `fulcrum_route_*`,
 * `fulcrum_pool_*`, `fulcrum_backend_*` (the HTTP sets of the first three are http-metrics.ts). The
 * hot path only bumps plain numbers (TrafficStats, BackendStats, listener counters); these
 * collectors copy them into Prometheus series at scrape time, so a request never touches a label
 * map and a scrape is a function of those counters alone.
 */
import { OVERFLOW_KINDS } from "../../limits/index.ts";
import type { Registry } from "../../obs/index.ts";
import type { ListenerSet } from "../listeners/listener-set.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import type { BackendStats } from "../pools/backend-stats.ts";
import { STATUS_CLASSES, type L7Stats } from "./traffic-stats.ts";
import { registerHttpLevelMetrics } from "./http-metrics.ts";
import type { UdpStatus } from "../listeners/udp-status.ts";
import type { ListenerCounterBook } from "./listener-counters.ts";
import { registerCompressMetrics } from "./compress-stats.ts";

/** Registers the per-backend and per-listener series on `metrics`. */
export function registerDataPlaneMetrics(metrics: Registry, pools: PoolRegistry, listeners: ListenerSet, l7: L7Stats, counters: ListenerCounterBook): void {
  registerHttpLevelMetrics(metrics, l7);
  registerCompressMetrics(metrics, l7.compress);
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
  metrics.counter("fulcrum_backend_5xx_total", "5xx responses each backend sent itself (what outlier detection reads; failures the proxy answered 502/504 for are in fulcrum_backend_failures_total)", ["pool", "backend"], (c) =>
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
  metrics.counter("fulcrum_pool_health_transitions_total", "Backends turned healthy or unhealthy by active checks, per pool", ["pool", "to"], (c) => {
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
  metrics.counter("fulcrum_listener_refused_connections_total", "Client connections closed at accept, without a byte, because the listener was at its max_connections", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.connections) c.set(k.refusedConnections, { listener: name });
  });
  metrics.counter("fulcrum_listener_upstream_resets_total", "tcp and tls_passthrough connections the backend reset, passed on to the client as a reset", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.l4) c.set(k.upstreamResets, { listener: name });
  });
}

/** Per udp listener: flows, flow table churn, and the stateless path a flood of new clients takes. */
function registerUdpMetrics(metrics: Registry, listeners: ListenerSet): void {
  const udp: [string, string, (s: UdpStatus) => number][] = [
    ["fulcrum_listener_udp_flows_evicted_total", "Idle UDP flows evicted from a full flow table to make room for a new client", (s) => s.flows_evicted],
    ["fulcrum_listener_udp_flows_expired_total", "UDP flows closed after their idle timeout", (s) => s.flows_expired],
    ["fulcrum_listener_udp_datagrams_dropped_total", "Client datagrams dropped (no backend, or an upstream socket's connect queue full)", (s) => s.datagrams_dropped],
    ["fulcrum_listener_udp_stateless_datagrams_total", "Client datagrams forwarded without a flow because the flow table was full of live flows", (s) => s.stateless_datagrams],
    ["fulcrum_listener_udp_stateless_replies_dropped_total", "Backend datagrams dropped on a shared stateless socket (no flow to return them to)", (s) => s.stateless_replies_dropped],
  ];
  metrics.gauge("fulcrum_listener_udp_flows", "Live UDP flows per udp listener", ["listener"], (g) => {
    for (const l of listeners.states()) if (l.udp) g.set(l.udp.flows, { listener: l.name });
  });
  for (const [name, help, value] of udp) {
    metrics.counter(name, help, ["listener"], (c) => {
      for (const l of listeners.states()) if (l.udp) c.set(value(l.udp), { listener: l.name });
    });
  }
}

type EachBackend = (fn: (labels: { pool: string; backend: string }, s: BackendStats) => void) => void;

/**
 * Per backend, the HTTP set the other levels have (labels pool + backend): L7 attempts by how they
 * ended, retries that reached it, errors by code; and bytes, which count L4 connections too.
 */
function registerBackendTrafficMetrics(metrics: Registry, each: EachBackend): void {
  metrics.counter("fulcrum_backend_http_requests_total", "HTTP attempts sent to each backend, by status class of how each ended (its answer, or the 502/504 its failure maps to)", ["pool", "backend", "class"], (c) =>
    each((l, s) => s.byClass.forEach((v, i) => v > 0 && c.set(v, { ...l, class: STATUS_CLASSES[i]! }))));
  metrics.counter("fulcrum_backend_bytes_total", "Client-side bytes of the HTTP requests and L4 connections each backend served, by direction (in = from the client)", ["pool", "backend", "direction"], (c) =>
    each((l, s) => {
      c.set(s.bytesIn, { ...l, direction: "in" });
      c.set(s.bytesOut, { ...l, direction: "out" });
    }));
  metrics.counter("fulcrum_backend_http_retries_total", "HTTP attempts that reached each backend as a retry", ["pool", "backend"], (c) =>
    each((l, s) => c.set(s.retries, l)));
  metrics.counter("fulcrum_backend_http_errors_total", "HTTP attempts to each backend that ended with an error, by code", ["pool", "backend", "code"], (c) =>
    each((l, s) => {
      for (const [code, v] of s.errors) c.set(v, { ...l, code });
    }));
}
