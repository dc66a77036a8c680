/**
 * Worker side of the node's stats: its counters as plain data (WorkerStats) when the control part
 * asks, which merges every worker's into the node's /v1/status, history and /metrics. Only what
 * changed since the last report is sent (a node of 1,000 pools mostly idle costs next to nothing
 * once a second), plus the names that went away; the control part keeps the rest (WorkerHandle).
 */
import type { Snapshot } from "../../config/index.ts";
import type { Registry } from "../../obs/index.ts";
import type { RunningDataPlane } from "../data-plane.ts";
import type { TrafficStats } from "../stats/traffic-stats.ts";
import type { BackendDump, TrafficDump, WorkerStats } from "./protocol.ts";

/** One TrafficStats as data (latency counts sparse: most of the 96 buckets are empty). */
export function dumpTraffic(s: TrafficStats): TrafficDump {
  const l: number[] = [];
  const counts = s.durations.counts;
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) l.push(i, counts[i]!);
  return { c: [...s.byClass], a: s.active, bi: s.bytesIn, bo: s.bytesOut, r: s.retries, e: [...s.errors], l };
}

/** What was reported of each stats object, to tell whether it changed since. */
const SEEN_FIELDS = 7;

export class StatsReporter {
  readonly #seen = new WeakMap<object, Float64Array>();
  /** Keys reported last time, per kind, to say which went away. */
  #keys: Record<string, Set<string>> = {};

  /** This worker's counters for the snapshot it serves: what changed since the last call (and its metrics families when `metrics`). */
  report(plane: RunningDataPlane, snap: Snapshot | undefined, registry: Registry, metrics: boolean): WorkerStats {
    const traffic: WorkerStats["traffic"] = { listener: {}, route: {}, pool: {} };
    const gone: WorkerStats["gone"] = { listener: [], route: [], pool: [], backend: [] };
    let requests = 0;
    for (const [scope, book] of [["listener", plane.stats.listeners], ["route", plane.stats.routes], ["pool", plane.stats.pools]] as const) {
      const keys = new Set<string>();
      for (const [name, s] of book.entries()) {
        keys.add(name);
        if (scope === "listener") for (const v of s.byClass) requests += v;
        if (this.#changed(s, 0, 0, 0)) traffic[scope][name] = dumpTraffic(s);
      }
      gone[scope] = this.#gone(scope, keys);
    }
    for (const [, c] of plane.counters.entries()) requests += c.relayed;
    const backends: BackendDump[] = [];
    const keys = new Set<string>();
    for (const p of Object.values(snap?.pools ?? {})) {
      for (const b of p.backends) {
        const s = plane.pools.stats(p.name, b.address);
        if (!s) continue;
        const ejections = plane.pools.ejections(p.name, b.address);
        // An ejection that ends, or an L4 connection that closes, changes no counter: they are fields of their own.
        const ejected = plane.pools.ejected(p.name, b.address);
        const conns = plane.runtime.backendStats?.(p.name, b.address)?.active_connections ?? 0;
        keys.add(`${p.name}\u0000${b.address}`);
        if (!this.#changed(s, s.total + 1e6 * s.failures, 2 * ejections + (ejected ? 1 : 0), conns)) continue;
        backends.push({ ...dumpTraffic(s), pool: p.name, address: b.address, total: s.total, failures: s.failures, ejected, ejections, conns });
      }
    }
    gone.backend = this.#gone("backend", keys);
    const listeners = plane.runtime.listeners?.() ?? [];
    const connections = listeners.reduce((n, l) => n + (l.active_connections ?? 0), 0);
    return { listeners, traffic, backends, gone, requests, connections, ...(metrics ? { metrics: registry.dump() } : {}) };
  }

  /** True (and remembered) when `s` differs from what was reported of it; `extra`, `more` and `last` add fields of its own. */
  #changed(s: TrafficStats, extra: number, more: number, last: number): boolean {
    let seen = this.#seen.get(s);
    const finished = s.byClass[0]! + s.byClass[1]! + s.byClass[2]! + s.byClass[3]! + s.byClass[4]! + s.byClass[5]!;
    if (seen && seen[0] === finished && seen[1] === s.active && seen[2] === s.bytesIn + s.bytesOut && seen[3] === s.retries && seen[4] === extra && seen[5] === more && seen[6] === last) return false;
    if (!seen) this.#seen.set(s, (seen = new Float64Array(SEEN_FIELDS)));
    seen[0] = finished;
    seen[1] = s.active;
    seen[2] = s.bytesIn + s.bytesOut;
    seen[3] = s.retries;
    seen[4] = extra;
    seen[5] = more;
    seen[6] = last;
    return true;
  }

  /** The keys of `kind` reported before and missing now. */
  #gone(kind: string, now: Set<string>): string[] {
    const before = this.#keys[kind];
    this.#keys[kind] = now;
    return before ? [...before].filter((k) => !now.has(k)) : [];
  }
}
