// The Maglev fill loop (Pseudocode 1 of the Maglev paper, with Envoy's weighted turns), over
// regions assembly/maglev.ts reserves and hands over with fillUse. Not part of the ABI.
//
// Per backend b (in key order, weight > 0 only): a 16-byte state record (next position, skip,
// 2·skip mod m, skip⁻¹ mod m or 0), its id and weight. Occupancy is a bitmap (8 KiB at M=65537,
// so probes stay in L1) and the table is written once per slot.

let state: usize = 0;
let ids: usize = 0;
let weights: usize = 0;
let taken: usize = 0;
let table: usize = 0;
let free: usize = 0;
let order: usize = 0; // u64 per backend: heap keys or turn targets
let due: usize = 0; // u32 per backend: the backends due in one iteration
let freeCount: u32 = 0;

/** Points the fill at its regions; called by maglev.ts after every reservation. */
export function fillUse(
  state_: usize, ids_: usize, weights_: usize, taken_: usize, table_: usize, free_: usize, order_: usize, due_: usize,
): void {
  state = state_;
  ids = ids_;
  weights = weights_;
  taken = taken_;
  table = table_;
  free = free_;
  order = order_;
  due = due_;
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
 * round robin. Unequal weights follow Envoy: on iteration i (from 1) backend b takes a turn when
 * i × w ≥ target, then target += maxWeight. Scanning every backend per iteration costs
 * N × (≈ m × maxWeight / Σw iterations); when weights are very uneven a heap is cheaper.
 */
export function fillTable(active: u32, m: u32, maxWeight: u32, minWeight: u32, weightSum: f64): void {
  const tailFrom = m - tailSize(m);
  if (minWeight == maxWeight) {
    let b: u32 = 0;
    for (let filled: u32 = 0; filled < m; filled++) {
      claim(<usize>b, m, filled, tailFrom);
      if (++b == active) b = 0;
    }
    return;
  }
  const iterations = <f64>m * <f64>maxWeight / weightSum + 1;
  const heapCost = <f64>m * (Math.log2(<f64>active) + 1) * 4;
  if (iterations * <f64>active <= heapCost) fillScan(active, m, tailFrom, maxWeight);
  else fillHeap(active, m, tailFrom, maxWeight);
}

// Envoy's loop as written, with the due test made branch-free so uneven weights do not mispredict.
function fillScan(active: u32, m: u32, tailFrom: u32, maxWeight: u32): void {
  const n = <usize>active;
  memory.fill(order, 0, n << 3);
  let filled: u32 = 0;
  for (let i: u64 = 1; filled < m; i++) {
    let count: usize = 0;
    for (let b: usize = 0; b < n; b++) {
      const target = load<u64>(order + (b << 3));
      const isDue = i * <u64>load<u32>(weights + (b << 2)) >= target;
      store<u32>(due + (count << 2), <u32>b);
      count += <usize>isDue;
      store<u64>(order + (b << 3), target + select<u64>(<u64>maxWeight, 0, isDue));
    }
    for (let k: usize = 0; k < count && filled < m; k++) {
      claim(<usize>load<u32>(due + (k << 2)), m, filled, tailFrom);
      filled++;
    }
  }
}

/**
 * The same order from a min-heap of (iteration << 32 | b): backend b's k-th turn (k from 0) comes
 * on the first iteration after its previous one (0 before any) with i × w ≥ k × maxWeight, i.e. on
 * max(previous + 1, ceil(k × maxWeight / w)); ties go in key order. O(log N) per turn.
 */
function fillHeap(active: u32, m: u32, tailFrom: u32, maxWeight: u32): void {
  const n = <usize>active;
  // Everyone's first turn is on iteration 1; ascending b is already a valid min-heap.
  for (let b: usize = 0; b < n; b++) {
    store<u64>(order + (b << 3), (<u64>1 << 32) | <u64>b);
    store<u32>(due + (b << 2), 0); // turns taken
  }
  for (let filled: u32 = 0; filled < m; filled++) {
    const top = load<u64>(order);
    const b = <usize>(<u32>top);
    claim(b, m, filled, tailFrom);
    const k = load<u32>(due + (b << 2)) + 1;
    store<u32>(due + (b << 2), k);
    const w = <u64>load<u32>(weights + (b << 2));
    let next = (<u64>k * <u64>maxWeight + w - 1) / w;
    // A backend of the heaviest weight would otherwise be due again on the iteration it just had.
    const after = (top >> 32) + 1;
    if (next < after) next = after;
    // Iterations never pass m (the heaviest backend takes a turn on each), so clamping is exact.
    if (next > 0xFFFFFFFF) next = 0xFFFFFFFF;
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
