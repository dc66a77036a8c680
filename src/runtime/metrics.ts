/**
 * Data-plane metrics. The hot path only bumps plain numbers on BackendStats; these collectors
 * copy them into Prometheus series at scrape time, so a request never touches a label map.
 */
import type { Registry } from "../obs/index.ts";
import type { ListenerSet } from "./listener-set.ts";
import type { PoolRegistry } from "./pool-registry.ts";

/** Registers the per-backend and per-listener series on `metrics`. */
export function registerDataPlaneMetrics(metrics: Registry, pools: PoolRegistry, listeners: ListenerSet): void {
  const each = (fn: (labels: { pool: string; backend: string }, s: NonNullable<ReturnType<PoolRegistry["stats"]>>) => void) => {
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
  metrics.gauge("fulcrum_backend_healthy", "1 when the backend takes new work (health, ejection and state applied)", ["pool", "backend"], (g) => {
    for (const rt of pools.all()) {
      for (const b of rt.config.backends) g.set(rt.index.has(b.address) ? 1 : 0, { pool: rt.name, backend: b.address });
    }
  });
  metrics.gauge("fulcrum_pool_panic", "1 while a pool balances over unhealthy backends (panic mode)", ["pool"], (g) => {
    for (const rt of pools.all()) g.set(rt.panic ? 1 : 0, { pool: rt.name });
  });
  metrics.counter("fulcrum_pool_overflows_total", "Requests or connections refused by a pool's circuit breaker", ["pool"], (c) => {
    for (const rt of pools.all()) c.set(rt.breaker.overflows, { pool: rt.name });
  });
  metrics.counter("fulcrum_pool_ejections_total", "Outlier ejections per pool", ["pool"], (c) => {
    for (const rt of pools.all()) c.set(rt.outlier?.ejections ?? 0, { pool: rt.name });
  });
  metrics.gauge("fulcrum_listener_active_connections", "Open client connections per listener", ["listener"], (g) => {
    for (const l of listeners.states()) g.set(l.active_connections ?? 0, { listener: l.name });
  });
  metrics.gauge("fulcrum_listener_bound", "1 when the listener is bound", ["listener"], (g) => {
    for (const l of listeners.states()) g.set(l.bound ? 1 : 0, { listener: l.name });
  });
}
