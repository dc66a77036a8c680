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
import { slotNames, type NodeShare } from "../shared/node-share.ts";

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
  /**
   * Live load (in-flight work) per backend, what load-aware selectors read: aligned with
   * `backends`, or, with `loadSlots`, the node's shared totals (backend i at loadSlots[i]).
   */
  readonly load: Int32Array;
  /** Set when the load is the node's, shared by its workers: each backend's slot in `load`. */
  readonly loadSlots: Int32Array | undefined;
  /** Sum of `load` when it is this thread's own (see poolLoad); kept so bounded-load picks need not sum it. */
  loadTotal: number;
  /**
   * With `loadSlots`: where the pool's total load is kept, and its round-robin sequence (-1: the
   * pool does not go round, or has no slot).
   */
  readonly share: { readonly node: NodeShare; readonly totalSlot: number; readonly ticketSlot: number } | undefined;
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
  node?: NodeShare,
): PoolRuntime {
  const byAddress = new Map(config.backends.map((b) => [b.address, b] as const));
  const backends = usable.map((u) => byAddress.get(u.key)!);
  const stats = backends.map((b) => statsOf(b.address));
  const shared = node ? sharedLoad(node, config.name, backends) : undefined;
  const load = shared ? node!.totals : Int32Array.from(stats, (s) => s.active);
  const selector = selectorFor(config, usable, ramping);
  const rt: PoolRuntime = {
    name: config.name,
    config,
    backends,
    stats,
    index: new Map(backends.map((b, i) => [b.address, i] as const)),
    selector,
    load,
    loadSlots: shared?.slots,
    loadTotal: shared ? 0 : load.reduce((a, b) => a + b, 0),
    share: shared ? { node: node!, totalSlot: shared.total, ticketSlot: node!.slot(slotNames.ticket(config.name)) } : undefined,
    panic,
    breaker,
    conns: connGroupOf(breaker),
    outlier,
  };
  // A fresh load array: tell an indexing selector (least_connections) every entry once. A shared
  // one changes under other workers' feet: selectors read it in place instead.
  if (selector.loadChanged && !shared) for (let i = 0; i < load.length; i++) selector.loadChanged(i, load);
  return rt;
}

/** The selector over `usable`: the compiled one when nothing narrowed the pool. */
export function selectorFor(config: SnapshotPool, usable: readonly { key: string; weight: number }[], ramping: boolean): Selector {
  if (sameSet(config, usable)) return config.selector;
  return createSelector(usable, {
    // round_robin ignores weights, and slow start works through weights: while a backend
    // ramps up, the pool goes round in smooth weighted order (equal weights after the ramp)
    algorithm: ramping && config.algorithm === "round_robin" ? "weighted_round_robin" : config.algorithm,
    hashOn: config.hashOn,
    tableSize: config.tableSize,
    ringMinSize: config.ringMinSize,
    hashBalanceFactor: config.hashBalanceFactor,
  });
}

/** The slots of the pool's load and its backends', when the node shares them (all or nothing). */
function sharedLoad(node: NodeShare, pool: string, backends: readonly SnapshotBackend[]): { slots: Int32Array; total: number } | undefined {
  const total = node.slot(slotNames.poolLoad(pool));
  const slots = Int32Array.from(backends, (b) => node.slot(slotNames.backendLoad(pool, b.address)));
  return total < 0 || slots.some((x) => x < 0) ? undefined : { slots, total };
}

/** For attempt 0 of a round-robin pool: its place in the node's shared sequence; undefined when this thread goes round alone. */
export function ticketOf(rt: PoolRuntime): number | undefined {
  const share = rt.share;
  return share && share.ticketSlot >= 0 ? share.node.counters.next(share.ticketSlot) : undefined;
}

/** The pool's live load now: the node's when shared, else this thread's. */
export function poolLoad(rt: PoolRuntime): number {
  return rt.share ? rt.share.node.counters.value(rt.share.totalSlot) : rt.loadTotal;
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
  const share = rt.share;
  if (share) {
    share.node.counters.add(rt.loadSlots![i]!, 1);
    share.node.counters.add(share.totalSlot, 1);
    return;
  }
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
  const share = rt.share;
  if (share) {
    // Slots follow the backend, not the runtime: a rebuilt runtime counts in the same ones.
    share.node.counters.release(rt.loadSlots![i]!);
    share.node.counters.release(share.totalSlot);
    return;
  }
  const target = current ?? rt;
  const j = target === rt ? i : target.index.get(s.address);
  if (j === undefined) return;
  const before = target.load[j]!;
  // stats.active is authoritative: the same BackendStats object backs every rebuild.
  target.load[j] = s.active;
  target.loadTotal += s.active - before;
  target.selector.loadChanged?.(j, target.load);
}
