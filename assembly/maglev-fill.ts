// The Maglev fill loop (Pseudocode 1 of the Maglev paper, with Envoy's weighted turns), over
// regions assembly/maglev.ts reserves and hands over with fillUse. Not part of the ABI.
//
// Per backend b (in key order, weight > 0 only): a 16-byte state record (next position, skip,
// 2·skip mod m, skip⁻¹ mod m or 0), its id, weight, normalized weight and target. Occupancy is a
// bitmap (8 KiB at M=65537, so probes stay in L1) and the table is written once per slot.

let state: usize = 0;
let ids: usize = 0;
let weights: usize = 0;
let taken: usize = 0;
let table: usize = 0;
let free: usize = 0;
let order: usize = 0; // u64 per backend: heap keys
let due: usize = 0; // u32 per backend: the backends due in one iteration
let norms: usize = 0; // f64 per backend: weight / Σweight
let targets: usize = 0; // f64 per backend: Envoy's target_weight_
let freeCount: u32 = 0;

/** Which loop fills a table: chosen by cost, or one forced (tests hold both to Envoy's table). */
export const FILL_AUTO: u32 = 0;
export const FILL_SCAN: u32 = 1;
export const FILL_HEAP: u32 = 2;

/** Points the fill at its regions; called by maglev.ts before every fill. */
export function fillUse(
  state_: usize, ids_: usize, weights_: usize, taken_: usize, table_: usize, free_: usize, order_: usize, due_: usize,
  norms_: usize, targets_: usize,
): void {
  state = state_;
  ids = ids_;
  weights = weights_;
  taken = taken_;
  table = table_;
  free = free_;
  order = order_;
  due = due_;
  norms = norms_;
  targets = targets_;
}

/**
 * How many of the last fills use the direct search (takeTurnTail) instead of probing: about √m/2,
 * where a probe walk (≈ m / free slots steps) starts to cost more than scanning the free slots.
 */
// @ts-ignore: decorator
@inline export function tailSize(m: u32): u32 {
  return <u32>Math.sqrt(<f64>m) >> 1;
}

// @ts-ignore: decorator
@inline function wrap(pos: u32, m: u32): u32 {
  return select<u32>(pos - m, pos, pos >= m);
}

// 1 when slot `pos` is free, else 0.
// @ts-ignore: decorator
@inline function isFree(pos: u32): u32 {
  return (~load<u32>(taken + (<usize>(pos >> 5) << 2)) >> (pos & 31)) & 1;
}

/**
 * Claims the next free slot on backend `b`'s permutation and advances it. The permutation is walked
 * incrementally (pos += skip mod m) rather than as (offset + skip × next) mod m: the same sequence
 * without a division per probe. Two probes per step, the second from pos + skip and the next step
 * from pos + 2·skip, so the dependency chain (add, compare, select) is paid once per two probes.
 */
// @ts-ignore: decorator
@inline function takeTurn(b: usize, m: u32): void {
  const sp = state + (b << 4);
  let pos = load<u32>(sp);
  const skip = load<u32>(sp, 4);
  const skip2 = load<u32>(sp, 8);
  while (true) {
    const p1 = wrap(pos + skip, m);
    const free0 = isFree(pos);
    if ((free0 | isFree(p1)) != 0) {
      pos = select<u32>(pos, p1, free0 != 0);
      break;
    }
    pos = wrap(pos + skip2, m);
  }
  const word = taken + (<usize>(pos >> 5) << 2);
  store<u32>(word, load<u32>(word) | (1 << (pos & 31)));
  store<i32>(table + (<usize>pos << 2), load<i32>(ids + (b << 2)));
  store<u32>(sp, wrap(pos + skip, m));
}

/** Collects the free slots into `free` for the tail. */
function collectFree(m: u32): void {
  let count: u32 = 0;
  for (let pos: u32 = 0; pos < m; pos++) {
    store<u32>(free + (<usize>count << 2), pos);
    count += isFree(pos);
  }
  freeCount = count;
}

/** skip⁻¹ mod m by the extended Euclidean algorithm (m prime, 1 ≤ skip < m). */
function inverseMod(skip: u32, m: u32): u32 {
  let r0 = <i64>m;
  let r1 = <i64>skip;
  let t0: i64 = 0;
  let t1: i64 = 1;
  while (r1 != 0) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  return <u32>(t0 < 0 ? t0 + <i64>m : t0);
}

/**
 * takeTurn for the last few fills, where a probe walk would be long. A free slot f is reached after
 * t = (f − pos) × skip⁻¹ mod m steps, so the slot the walk would stop at is the free slot with the
 * smallest t: the same choice, in O(free slots) instead of O(m / free slots). The arithmetic is in
 * f64, exact here (products < 2^46), which avoids a 64-bit division per candidate.
 */
function takeTurnTail(b: usize, m: u32): void {
  const sp = state + (b << 4);
  const pos = load<u32>(sp);
  const skip = load<u32>(sp, 4);
  let inv = load<u32>(sp, 12);
  if (inv == 0) {
    inv = inverseMod(skip, m);
    store<u32>(sp, inv, 12);
  }
  const mf = <f64>m;
  const invM = 1.0 / mf;
  const base = mf - <f64>pos;
  const invF = <f64>inv;
  let best: u32 = 0;
  let bestT: f64 = Infinity;
  for (let i: u32 = 0; i < freeCount; i++) {
    const prod = (<f64>load<u32>(free + (<usize>i << 2)) + base) * invF;
    let t = prod - Math.floor(prod * invM) * mf;
    t = select<f64>(t + mf, t, t < 0);
    t = select<f64>(t - mf, t, t >= mf);
    best = select<u32>(i, best, t < bestT);
    bestT = select<f64>(t, bestT, t < bestT);
  }
  freeCount--;
  const slotAt = free + (<usize>best << 2);
  const slot = load<u32>(slotAt);
  store<u32>(slotAt, load<u32>(free + (<usize>freeCount << 2)));
  store<i32>(table + (<usize>slot << 2), load<i32>(ids + (b << 2)));
  store<u32>(sp, wrap(slot + skip, m));
}

// Turn number `filled` (0-based) goes to backend b: probing until the tail, then the direct search.
// @ts-ignore: decorator
@inline function claim(b: usize, m: u32, filled: u32, tailFrom: u32): void {
  if (filled < tailFrom) {
    takeTurn(b, m);
  } else {
    if (filled == tailFrom) collectFree(m);
    takeTurnTail(b, m);
  }
}

/**
 * Fills all m slots with the `active` backends of the current regions. Equal weights are plain
 * round robin. Unequal weights follow Envoy's OriginalMaglevTable in its own double arithmetic, so
 * ties round as Envoy's do: w = weight / Σweight (Envoy's normalizeHostWeights), and on iteration i
 * (from 1) backend b takes a turn unless i × w < target, then target += max w. Scanning every
 * backend per iteration costs N × (≈ m × max / Σ iterations); when weights are very uneven a heap
 * is cheaper. `mode` (FILL_*) may force one loop.
 */
export function fillTable(active: u32, m: u32, maxWeight: u32, minWeight: u32, weightSum: u64, mode: u32): void {
  const tailFrom = m - tailSize(m);
  if (minWeight == maxWeight && mode == FILL_AUTO) {
    let b: u32 = 0;
    for (let filled: u32 = 0; filled < m; filled++) {
      claim(<usize>b, m, filled, tailFrom);
      if (++b == active) b = 0;
    }
    return;
  }
  const sum = <f64>weightSum;
  for (let b: usize = 0; b < <usize>active; b++) {
    store<f64>(norms + (b << 3), <f64>load<u32>(weights + (b << 2)) / sum);
    store<f64>(targets + (b << 3), 0);
  }
  // max(w / Σ) is maxWeight / Σ: division by a positive double is monotone.
  const maxNorm = <f64>maxWeight / sum;
  const iterations = <f64>m * <f64>maxWeight / sum + 1;
  const heapCost = <f64>m * (Math.log2(<f64>active) + 1) * 4;
  const scan = mode == FILL_AUTO ? iterations * <f64>active <= heapCost : mode == FILL_SCAN;
  if (scan) fillScan(active, m, tailFrom, maxNorm);
  else fillHeap(active, m, tailFrom, maxNorm);
}

// Envoy's loop as written, with the due test made branch-free so uneven weights do not mispredict.
// Adding 0 leaves a target as it was, so the not-due case needs no branch either.
function fillScan(active: u32, m: u32, tailFrom: u32, maxNorm: f64): void {
  const n = <usize>active;
  let filled: u32 = 0;
  for (let i: u32 = 1; filled < m; i++) {
    const fi = <f64>i;
    let count: usize = 0;
    for (let b: usize = 0; b < n; b++) {
      const at = targets + (b << 3);
      const target = load<f64>(at);
      const isDue = !(fi * load<f64>(norms + (b << 3)) < target);
      store<u32>(due + (count << 2), <u32>b);
      count += <usize>isDue;
      store<f64>(at, target + select<f64>(maxNorm, 0, isDue));
    }
    for (let k: usize = 0; k < count && filled < m; k++) {
      claim(<usize>load<u32>(due + (k << 2)), m, filled, tailFrom);
      filled++;
    }
  }
}

/**
 * The first iteration from `from` on which Envoy's test lets a backend of normalized weight `w`
 * with `target` take a turn: the least i ≥ from with !(i × w < target). i × w rounds monotonically
 * in i, so the quotient's ceiling is corrected by a step or two to the exact answer. Past u32 (a
 * turn that never comes before the table is full) it answers u32.MAX_VALUE.
 */
function dueFrom(from: f64, target: f64, w: f64): u64 {
  let i = Math.ceil(target / w);
  if (i >= 4294967295.0) return 0xFFFFFFFF;
  if (i < from) i = from;
  while (i > from && !((i - 1) * w < target)) i--;
  while (i * w < target) i++;
  return i >= 4294967295.0 ? 0xFFFFFFFF : <u64>i;
}

/**
 * The same order from a min-heap of (iteration << 32 | b): after each turn backend b's target grows
 * by max w and its next turn is the first later iteration Envoy's test allows (dueFrom); ties go
 * in key order, as the scan takes them. O(log N) per turn.
 */
function fillHeap(active: u32, m: u32, tailFrom: u32, maxNorm: f64): void {
  const n = <usize>active;
  // Everyone's first turn is on iteration 1 (target 0); ascending b is already a valid min-heap.
  for (let b: usize = 0; b < n; b++) {
    store<u64>(order + (b << 3), (<u64>1 << 32) | <u64>b);
  }
  for (let filled: u32 = 0; filled < m; filled++) {
    const top = load<u64>(order);
    const b = <usize>(<u32>top);
    claim(b, m, filled, tailFrom);
    const at = targets + (b << 3);
    const target = load<f64>(at) + maxNorm;
    store<f64>(at, target);
    const next = dueFrom(<f64>(top >> 32) + 1, target, load<f64>(norms + (b << 3)));
    siftDown((next << 32) | <u64>b, n);
  }
}

// Replaces the heap's top with `key` and restores the min-heap property (branch-free child pick).
// @ts-ignore: decorator
@inline function siftDown(key: u64, n: usize): void {
  let i: usize = 0;
  while (true) {
    let c = (i << 1) + 1;
    if (c >= n) break;
    let ck = load<u64>(order + (c << 3));
    if (c + 1 < n) {
      const rk = load<u64>(order + ((c + 1) << 3));
      const right = rk < ck;
      ck = select<u64>(rk, ck, right);
      c += <usize>right;
    }
    if (key <= ck) break;
    store<u64>(order + (i << 3), ck);
    i = c;
  }
  store<u64>(order + (i << 3), key);
}
