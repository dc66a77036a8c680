/**
 * The one interface every balancing algorithm implements (STYLE.md §1, §7.1): a selector is built
 * off the hot path from a pool's usable backends and answers `pick(ctx, attempt)` with a backend
 * index. Health, panic mode and slow start stay outside it: callers build a selector from the
 * backends they are willing to use, and rebuild it (one reference swap) when that set changes.
 */

/** The balancing algorithms a pool may name in its config (`pools[].algorithm`). */
export type Algorithm =
  | "round_robin"
  | "weighted_round_robin"
  | "least_connections"
  | "power_of_two"
  | "random"
  | "maglev"
  | "ring_hash"
  | "source_ip_hash";

/** Every algorithm name, in config order (used by validation and the contract suite). */
export const ALGORITHMS: readonly Algorithm[] = [
  "round_robin",
  "weighted_round_robin",
  "least_connections",
  "power_of_two",
  "random",
  "maglev",
  "ring_hash",
  "source_ip_hash",
];

/** The algorithms that map a key to a backend through a table (Maglev or ring). */
export const HASHING_ALGORITHMS: ReadonlySet<Algorithm> = new Set(["maglev", "ring_hash", "source_ip_hash"]);

/** The algorithms that read live load (`PickContext.load`). */
export const LOAD_AWARE_ALGORITHMS: ReadonlySet<Algorithm> = new Set(["least_connections", "power_of_two"]);

/**
 * What a hashing pool hashes on; parsed from the config strings
 * "source_ip" | "header:NAME" | "cookie:NAME" | "query:NAME" | "five_tuple" by `parseHashOn`.
 */
export type HashOn =
  | { kind: "source_ip" }
  | { kind: "header"; name: string }
  | { kind: "cookie"; name: string }
  | { kind: "query"; name: string }
  | { kind: "five_tuple" };

/** One backend as a selector sees it. `key` is "host:port" (Maglev and ring hash hash it). */
export interface BalanceBackend {
  readonly key: string;
  /** >= 0; a backend with weight 0 is never picked */
  readonly weight: number;
}

/** A pool's balancing options, as compiled from its config. */
export interface PoolLbOptions {
  algorithm: Algorithm;
  /** hashing pools: what the data plane extracts as the key (default source_ip) */
  hashOn?: HashOn;
  /** maglev / source_ip_hash: a prime table size (default 65537) */
  tableSize?: number;
  /** ring_hash: the minimum number of ring entries (default 1024) */
  ringMinSize?: number;
  /** hashing pools: bounded load, e.g. 1.25; no backend takes more than this × its fair share */
  hashBalanceFactor?: number;
}

/**
 * What one pick may read. Build it once per request (L7) or connection (L4) and pass the same
 * object to every attempt: `pick` records its answers in `first` / `last` so a retry avoids them.
 * Create it with `first: -1, last: -1` so its shape never changes on the hot path.
 */
export interface PickContext {
  /** the hash key value already extracted by the data plane (client ip, header/cookie/query value, or the 5-tuple as text); undefined = key absent -> random pick */
  key?: string;
  /** a precomputed u32 hash of the key (L4 passes the WASM flow hash); used instead of hashing `key` when set */
  hash?: number;
  /** live load per backend (active connections or requests), indexed like the selector's backends; maintained by the data plane */
  load?: ArrayLike<number>;
  /**
   * when set, backend i's load is `load[loadSlots[i]]`: `load` is then a table shared by every
   * worker of a node (the node's load, not this thread's), which the selector reads in place
   */
  loadSlots?: Int32Array;
  /** the sum of `load` when the data plane keeps it; bounded load sums `load` itself (O(N)) when absent */
  loadTotal?: number;
  /**
   * round_robin, weighted_round_robin: this pick's place in a sequence the workers of a node
   * share (a u32 counter per pool), used for attempt 0 instead of the selector's own cursor, so
   * the node goes round as one
   */
  ticket?: number;
  /** written by pick: the index attempt 0 returned (-1 none) */
  first?: number;
  /** written by pick: the index the latest attempt returned (-1 none) */
  last?: number;
}

/**
 * A PickContext with every field present, so the object keeps one shape while a request's attempts
 * fill it (`pick` writes `first` and `last`). Allocate one per request or connection; reuse it for
 * all of that request's attempts, never across requests running at the same time.
 */
export function newPickContext(key?: string, load?: ArrayLike<number>, hash?: number, loadSlots?: Int32Array): PickContext {
  return { key, hash, load, loadSlots, loadTotal: undefined, ticket: undefined, first: -1, last: -1 };
}

/** Backend i's load as `ctx` holds it (through `loadSlots` when set); 0 without a load. */
export function loadAt(ctx: PickContext, i: number): number {
  const load = ctx.load;
  if (load === undefined) return 0;
  const slots = ctx.loadSlots;
  return slots === undefined ? load[i]! : load[slots[i]!]!;
}

/**
 * A balancing algorithm over a fixed backend list. `pick` returns an index into the backends the
 * selector was built from, or -1 when none can be picked (empty pool, every weight 0).
 * `attempt` is 0 for the first try; attempt > 0 returns a backend other than the earlier attempts'
 * (recorded in ctx) whenever another one exists. Never throws, never allocates.
 */
export interface Selector {
  readonly name: string;
  pick(ctx: PickContext, attempt: number): number;
  /** hashing selectors: slot -> backend index (-1 = empty), for the admin table view */
  readonly table?: Int32Array;
  /**
   * Optional (least_connections has it): the data plane calls it after every change to
   * `load[index]` of the array it passes as `PickContext.load`. From the first call on, picks
   * with that same array answer from an index in O(log N) instead of scanning all N, so once you
   * call it, call it for every change of that array (a missed one leaves the index stale).
   */
  loadChanged?(index: number, load: ArrayLike<number>): void;
}

/** Builds a selector off the hot path (STYLE.md §1). */
export type SelectorFactory = (backends: readonly BalanceBackend[], opts: PoolLbOptions) => Selector;

/** The index -1: no backend. */
export const NONE = -1;
