/**
 * Worker side of the node's stats: its counters as plain data (WorkerStats) when the control part
 * asks, which merges every worker's into the node's /v1/status, history and /metrics.
 */
import type { Snapshot } from "../../config/index.ts";
import type { Registry } from "../../obs/index.ts";
import type { RunningDataPlane } from "../data-plane.ts";
import type { TrafficStats } from "../stats/traffic-stats.ts";
import type { TrafficDump, WorkerStats } from "./protocol.ts";

/** One TrafficStats as data (latency counts sparse: most of the 96 buckets are empty). */
export function dumpTraffic(s: TrafficStats): TrafficDump {
  const l: number[] = [];
  const counts = s.durations.counts;
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) l.push(i, counts[i]!);
  return { c: [...s.byClass], a: s.active, bi: s.bytesIn, bo: s.bytesOut, r: s.retries, e: [...s.errors], l };
}

/** This worker's counters for the snapshot it serves (and its metrics families when `metrics`). */
export function workerStats(plane: RunningDataPlane, snap: Snapshot | undefined, registry: Registry, metrics: boolean): WorkerStats {
  const traffic: WorkerStats["traffic"] = { listener: {}, route: {}, pool: {} };
  let requests = 0;
  for (const [name, s] of plane.stats.listeners.entries()) {
    traffic.listener[name] = dumpTraffic(s);
    for (const v of s.byClass) requests += v;
  }
  for (const [name, s] of plane.stats.routes.entries()) traffic.route[name] = dumpTraffic(s);
  for (const [name, s] of plane.stats.pools.entries()) traffic.pool[name] = dumpTraffic(s);
  for (const [, c] of plane.counters.entries()) requests += c.relayed;
  const backends: WorkerStats["backends"] = [];
  for (const p of Object.values(snap?.pools ?? {})) {
    for (const b of p.backends) {
      const s = plane.pools.stats(p.name, b.address);
      if (!s) continue;
      const view = plane.runtime.backendStats?.(p.name, b.address);
      backends.push({
        ...dumpTraffic(s),
        pool: p.name,
        address: b.address,
        total: s.total,
        failures: s.failures,
        ejected: plane.pools.ejected(p.name, b.address),
        ejections: plane.pools.ejections(p.name, b.address),
        conns: view?.active_connections ?? 0,
      });
    }
  }
  const listeners = plane.runtime.listeners?.() ?? [];
  const connections = listeners.reduce((n, l) => n + (l.active_connections ?? 0), 0);
  return { listeners, traffic, backends, requests, connections, ...(metrics ? { metrics: registry.dump() } : {}) };
}
