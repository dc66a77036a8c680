/**
 * `ring_hash`: a Ketama-style consistent-hash ring built as Envoy's ring_hash_lb.cc builds it.
 * Each backend gets points hashed from "key_0", "key_1", ...; the count is scaled so the
 * least-weighted backend gets a whole number of points and the ring has at least `minSize` of
 * them (default 1024, capped at RING_MAX_SIZE), handed out by running sums so fractions even out.
 * A hash maps to the first point at or after it (wrapping). Backends are laid down in key order so
 * every node builds the same ring whatever the config order.
 */
import { LbError } from "../errors.ts";
import { avoidFirst, avoidLast } from "./attempts.ts";
import { skipCount, walkFrom, type HashTable } from "./hash-table.ts";
import { hashKey } from "./key-hash.ts";
import type { BalanceBackend, PickContext } from "./selector.ts";

/** Envoy's defaults: at least 1024 points, at most 8M. */
export const RING_DEFAULT_MIN_SIZE = 1024;
export const RING_MAX_SIZE = 1 << 23;

// Point keys pack (hash, backend index) into one exact double for a plain numeric sort.
const OWNER_BITS = 2 ** 21;

// Lookups start from a bucket index over the top hash bits, so the search covers about one point.
const MAX_BUCKET_BITS = 18;

class Ring implements HashTable {
  private readonly shift: number;
  /** bucket b -> index of the first point >= b << shift */
  private readonly buckets: Uint32Array;

  constructor(
    readonly points: Uint32Array,
    readonly slots: Int32Array,
    readonly backends: number,
  ) {
    const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.ceil(Math.log2(Math.max(points.length, 2)))));
    this.shift = 32 - bits;
    this.buckets = new Uint32Array((1 << bits) + 1);
    let p = 0;
    for (let b = 0; b < 1 << bits; b++) {
      const floor = b * 2 ** this.shift;
      while (p < points.length && points[p]! < floor) p++;
      this.buckets[b] = p;
    }
    this.buckets[1 << bits] = points.length;
  }

  slotOf(hash: number): number {
    const p = this.points;
    const h = hash >>> 0;
    const b = h >>> this.shift;
    let lo = this.buckets[b]!, hi = this.buckets[b + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === p.length ? 0 : lo;
  }

  lookup(hash: number, attempt: number, ctx: PickContext): number {
    if (this.slots.length === 0) return -1;
    const start = this.slotOf(hash);
    if (attempt === 0) return this.slots[start]!;
    const n = this.backends;
    return walkFrom(this.slots, start, skipCount(attempt, n), n > 2 ? avoidFirst(ctx, attempt) : -1, avoidLast(ctx, attempt));
  }
}

/** Builds the ring for `backends` (indices as given). Throws CONFIG_INVALID for a bad `minSize`. */
export function buildRing(backends: readonly BalanceBackend[], minSize = RING_DEFAULT_MIN_SIZE): HashTable {
  if (!Number.isInteger(minSize) || minSize < 1 || minSize > RING_MAX_SIZE) {
    throw new LbError("CONFIG_INVALID", `ring_min_size must be an integer in 1..${RING_MAX_SIZE}, got ${minSize}`);
  }
  if (backends.length >= OWNER_BITS) throw new LbError("CONFIG_INVALID", `ring_hash takes at most ${OWNER_BITS - 1} backends`);
  const order = backends
    .map((b, i) => ({ key: b.key, weight: b.weight, i }))
    .filter((b) => b.weight > 0)
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const total = order.reduce((s, b) => s + b.weight, 0);
  if (order.length === 0 || !(total > 0)) return new Ring(new Uint32Array(0), new Int32Array(0), 0);
  const minNorm = order.reduce((m, b) => Math.min(m, b.weight / total), 1);
  const scale = Math.min(Math.ceil(minNorm * minSize) / minNorm, RING_MAX_SIZE);
  const packed: number[] = [];
  let current = 0;
  let target = 0;
  for (const b of order) {
    target += (scale * b.weight) / total;
    for (let k = 0; current < target; k++, current++) {
      packed.push(hashKey(`${b.key}_${k}`) * OWNER_BITS + b.i);
    }
  }
  const sorted = Float64Array.from(packed).sort();
  const points = new Uint32Array(sorted.length);
  const slots = new Int32Array(sorted.length);
  for (let s = 0; s < sorted.length; s++) {
    const owner = sorted[s]! % OWNER_BITS;
    slots[s] = owner;
    points[s] = (sorted[s]! - owner) / OWNER_BITS;
  }
  return new Ring(points, slots, order.length);
}
