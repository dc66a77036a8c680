/**
 * The table contract the hashing selectors share (STYLE.md §7.5, after Envoy's
 * HashingLoadBalancer::chooseHost(hash, attempt)): Maglev and the ring both reduce to an array of
 * slots holding backend indices plus a map from a u32 hash to its first slot, and "the next one
 * along the table" is the next slot. Bounded load wraps a table; it does not subclass one.
 */
import type { PickContext } from "./selector.ts";

/** A consistent-hash table over a fixed backend list. */
export interface HashTable {
  /** slot -> backend index, -1 = empty (only when no backend has weight > 0) */
  readonly slots: Int32Array;
  /** how many distinct backends own slots */
  readonly backends: number;
  /** the first slot a u32 hash lands on */
  slotOf(hash: number): number;
  /**
   * The backend for a u32 hash: attempt k returns the k-th distinct backend met walking the table
   * from the hash's slot, skipping those ctx records as earlier attempts; -1 when the table is empty.
   */
  lookup(hash: number, attempt: number, ctx: PickContext): number;
}

/** Most attempts a walk tells apart; later ones reuse attempt % this (retries that many are a bug upstream). */
export const WALK_MAX_ATTEMPTS = 32;

// One scratch list for every walk: picks run one at a time on a JS thread and never re-enter.
const seen = new Int32Array(WALK_MAX_ATTEMPTS);

/**
 * A check a walk applies to each candidate (bounded load). `reset` runs before a walk; `admits` says
 * whether a candidate may take the request and remembers the best refused one, which `best` returns
 * (-1 none) when the walk ends without an admitted candidate.
 */
export interface Gate {
  reset(): void;
  admits(i: number): boolean;
  best(): number;
}

/**
 * Walks `slots` from `start`, skips the first `k` distinct backends and any of `a` / `b`, and
 * returns the next backend met that `gate` (if any) admits. When none qualifies: the gate's best
 * refused candidate, else the first backend that is neither `a` nor `b`, else the first met at
 * all, so only an empty table gives -1.
 */
export function walkFrom(slots: Int32Array, start: number, k: number, a: number, b: number, gate?: Gate): number {
  const m = slots.length;
  let s = start;
  let distinct = 0;
  let fallback = -1;
  let any = -1;
  if (gate !== undefined) gate.reset();
  for (let step = 0; step < m; step++) {
    const i = slots[s]!;
    s = s + 1 === m ? 0 : s + 1;
    if (i < 0) continue;
    if (any < 0) any = i;
    if (distinct < k) {
      if (!isAmong(i, distinct)) seen[distinct++] = i;
      continue;
    }
    if (i === a || i === b) continue;
    if (isAmong(i, distinct)) {
      if (fallback < 0) fallback = i;
      continue;
    }
    if (gate === undefined || gate.admits(i)) return i;
  }
  if (gate !== undefined && gate.best() >= 0) return gate.best();
  if (fallback >= 0) return fallback;
  for (let q = 0; q < distinct; q++) if (seen[q] !== a && seen[q] !== b) return seen[q]!;
  return any;
}

/** The number of distinct attempts to skip for `attempt`, given `backends` owners in the table. */
export function skipCount(attempt: number, backends: number): number {
  if (attempt <= 0 || backends <= 1) return 0;
  const k = attempt % backends;
  return k < WALK_MAX_ATTEMPTS ? k : k % WALK_MAX_ATTEMPTS;
}

/** True when `i` is among the first `count` entries of the walk's scratch list. */
export function isAmong(i: number, count: number): boolean {
  for (let q = 0; q < count; q++) if (seen[q] === i) return true;
  return false;
}

/** Marks the backends in `slots` and counts the distinct ones (build time). */
export function countOwners(slots: Int32Array, n: number): number {
  const owns = new Uint8Array(n);
  let count = 0;
  for (let s = 0; s < slots.length; s++) {
    const i = slots[s]!;
    if (i >= 0 && owns[i] === 0) {
      owns[i] = 1;
      count++;
    }
  }
  return count;
}
