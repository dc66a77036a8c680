/**
 * Worker side of the node's stats: its counters as plain data (WorkerStats) when the control part
 * asks, which merges every worker's into the node's /v1/status, history and /metrics. Only what
 * changed since the last report is sent (a node of 1,000 pools mostly idle costs next to nothing
 * once a second), plus the names that went away; the control part keeps the rest (WorkerHandle).
 */
import type { Snapshot, SnapshotPool } from "../../config/index.ts";
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
  /** Each pool's backend keys ("pool\0address") as of the pool object they were taken from. */
  readonly #backendKeys = new Map<string, { pool: SnapshotPool; keys: string[] }>();

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
    const pools = snap?.pools ?? {};
    gone.backend = this.#goneBackends(pools);
    const backends: BackendDump[] = [];
    // Once a second over every backend of the snapshot: plain lookups, no object per backend unless it changed.
    for (const name in pools) {
      const p = pools[name]!;
      for (const b of p.backends) {
        const s = plane.pools.stats(p.name, b.address);
        if (!s) continue;
        const ejections = plane.pools.ejections(p.name, b.address);
        // An ejection that ends, or an L4 connection that closes, changes no counter: they are fields of their own.
        const ejected = plane.pools.ejected(p.name, b.address);
        const conns = plane.backendConnections(p.name, b.address);
        if (!this.#changed(s, s.total + 1e6 * s.failures, 2 * ejections + (ejected ? 1 : 0), conns)) continue;
        backends.push({ ...dumpTraffic(s), pool: p.name, address: b.address, total: s.total, failures: s.failures, ejected, ejections, conns });
      }
    }
    const listeners = plane.runtime.listeners?.() ?? [];
    const connections = listeners.reduce((n, l) => n + (l.active_connections ?? 0), 0);
    return { listeners, traffic, backends, gone, requests, connections, ...(metrics ? { metrics: registry.dump() } : {}) };
  }

  /**
   * Backends reported before that `pools` no longer has. Only pools that are new objects since the
   * last report are looked into (a revision that changed one pool of a thousand: that one).
   */
  #goneBackends(pools: Readonly<Record<string, SnapshotPool>>): string[] {
    const gone: string[] = [];
    for (const [name, had] of this.#backendKeys) {
      const p = pools[name];
      if (p === had.pool) continue;
      const now = p === undefined ? [] : backendKeys(p);
      if (p === undefined) this.#backendKeys.delete(name);
      else this.#backendKeys.set(name, { pool: p, keys: now });
      if (now.length === 0) gone.push(...had.keys);
      else for (const k of had.keys) if (!now.includes(k)) gone.push(k);
    }
    if (this.#backendKeys.size !== Object.keys(pools).length) {
      for (const name in pools) if (!this.#backendKeys.has(name)) this.#backendKeys.set(name, { pool: pools[name]!, keys: backendKeys(pools[name]!) });
    }
    return gone;
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

/** The keys a pool's backends are reported under (BackendDump: "pool\0address"). */
function backendKeys(p: SnapshotPool): string[] {
  return p.backends.map((b) => `${p.name}\u0000${b.address}`);
}
