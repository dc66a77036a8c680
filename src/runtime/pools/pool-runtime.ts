/**
 * A pool as the data plane uses it right now: the config's pool narrowed by health (usable set,
 * panic, slow start), its selector and the live load array the selector reads. Built off the hot
 * path by the PoolRegistry and replaced with one reference swap; a request or connection keeps the
 * object it started with, so every index it holds stays valid for its whole life.
 */
import { createSelector, type Selector } from "../../balance/index.ts";
import type { SnapshotBackend, SnapshotPool } from "../../config/index.ts";
import type { OutlierDetector } from "../../health/index.ts";
import type { CircuitBreaker } from "../../limits/index.ts";
import { ConnGroup } from "../../l7/index.ts";
import type { BackendStats } from "./backend-stats.ts";

export interface PoolRuntime {
  readonly name: string;
  readonly config: SnapshotPool;
  /** Backends that take new work now; the selector's index space. */
  readonly backends: readonly SnapshotBackend[];
  /** Live counters, aligned with `backends`. */
  readonly stats: readonly BackendStats[];
  /** address → index into `backends`. */
  readonly index: ReadonlyMap<string, number>;
  readonly selector: Selector;
  /** Live load (in-flight work) per backend, aligned with `backends`; what load-aware selectors read. */
  readonly load: Int32Array;
  /** Sum of `load`, kept so bounded-load picks need not sum it. */
  loadTotal: number;
  /** Too few healthy backends: every active one takes traffic. */
  readonly panic: boolean;
  readonly breaker: CircuitBreaker;
  /** The pool's L7 upstream connections, counted against `breaker` (one group per breaker, so per pool). */
  readonly conns: ConnGroup;
  readonly outlier: OutlierDetector | undefined;
}

/** One connection group per breaker: the breaker outlives every rebuild of the pool's runtime. */
const groups = new WeakMap<CircuitBreaker, ConnGroup>();
function connGroupOf(breaker: CircuitBreaker): ConnGroup {
  let g = groups.get(breaker);
  if (!g) groups.set(breaker, (g = new ConnGroup(breaker)));
  return g;
}

/** Builds a runtime for `usable` (key + effective weight), reusing the compiled selector when the set is unchanged. */
export function buildPoolRuntime(
  config: SnapshotPool,
  usable: readonly { key: string; weight: number }[],
  panic: boolean,
  statsOf: (address: string) => BackendStats,
  breaker: CircuitBreaker,
  outlier: OutlierDetector | undefined,
  ramping = false,
): PoolRuntime {
  const byAddress = new Map(config.backends.map((b) => [b.address, b] as const));
  const backends = usable.map((u) => byAddress.get(u.key)!);
  const stats = backends.map((b) => statsOf(b.address));
  const load = Int32Array.from(stats, (s) => s.active);
  const selector = sameSet(config, usable)
    ? config.selector
    : createSelector(usable, {
        // round_robin ignores weights, and slow start works through weights: while a backend
        // ramps up, the pool goes round in smooth weighted order (equal weights after the ramp)
        algorithm: ramping && config.algorithm === "round_robin" ? "weighted_round_robin" : config.algorithm,
        hashOn: config.hashOn,
        tableSize: config.tableSize,
        ringMinSize: config.ringMinSize,
        hashBalanceFactor: config.hashBalanceFactor,
      });
  const rt: PoolRuntime = {
    name: config.name,
    config,
    backends,
    stats,
    index: new Map(backends.map((b, i) => [b.address, i] as const)),
    selector,
    load,
    loadTotal: load.reduce((a, b) => a + b, 0),
    panic,
    breaker,
    conns: connGroupOf(breaker),
    outlier,
  };
  // A fresh load array: tell an indexing selector (least_connections) every entry once.
  if (selector.loadChanged) for (let i = 0; i < load.length; i++) selector.loadChanged(i, load);
  return rt;
}

/** True when `usable` is exactly the compiled selector's backend list (same keys, weights, order). */
function sameSet(config: SnapshotPool, usable: readonly { key: string; weight: number }[]): boolean {
  const compiled = config.usable;
  if (compiled.length !== usable.length) return false;
  for (let i = 0; i < usable.length; i++) {
    if (compiled[i]!.address !== usable[i]!.key || compiled[i]!.weight !== usable[i]!.weight) return false;
  }
  return true;
}

/** Marks one unit of work (request or connection) started on backend `i` of `rt`. */
export function beginWork(rt: PoolRuntime, i: number): void {
  const s = rt.stats[i]!;
  s.active++;
  s.total++;
  rt.load[i]!++;
  rt.loadTotal++;
  rt.selector.loadChanged?.(i, rt.load);
}

/**
 * Marks that work finished. `current` is the pool's runtime now: when it was rebuilt while the work
 * ran, the finished count lands in the new load array (found by address), not in the stale one.
 */
export function endWork(rt: PoolRuntime, i: number, current: PoolRuntime | undefined): void {
  const s = rt.stats[i]!;
  if (s.active > 0) s.active--;
  const target = current ?? rt;
  const j = target === rt ? i : target.index.get(s.address);
  if (j === undefined) return;
  const before = target.load[j]!;
  // stats.active is authoritative: the same BackendStats object backs every rebuild.
  target.load[j] = s.active;
  target.loadTotal += s.active - before;
  target.selector.loadChanged?.(j, target.load);
}
