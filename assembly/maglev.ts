// Maglev table population (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
// Balancer", NSDI 2016, §3.4, Pseudocode 1), Envoy-compatible: offset = xxh64(key, 0) mod M,
// skip = xxh64(key, 1) mod (M-1) + 1, backends in key order, and Envoy's weight scheme (a backend
// takes a turn on iteration i when i × weight ≥ target, then target += max weight).
//
// Called from src/wasm/maglev.ts only. The façade writes the keys (already sorted), weights and the
// id to store for each backend into regions reserved here, then calls maglevPopulate; the table
// comes back as i32 ids, -1 when no backend has weight > 0. Regions are reserved once and grown only
// when a bigger N, M or key size is asked, so populate itself never allocates.
import { xxh64At } from "./hash";

/** The largest table size accepted (a prime, as Envoy's largest documented size). */
export const MAGLEV_MAX_SIZE: u32 = 5_000_011;

/** Error codes returned by maglevPopulate / maglevPopulateFrom (0 = ok). */
export const MAGLEV_OK: u32 = 0;
export const MAGLEV_ERR_SIZE: u32 = 1;
export const MAGLEV_ERR_CAPACITY: u32 = 2;
export const MAGLEV_ERR_PERMUTATION: u32 = 3;

// Per-backend block (capacity capN): input arrays written by JS, then the compacted state of the
// backends with weight > 0 that the fill loop walks.
let capN: u32 = 0;
let keyOffsets: usize = 0; // u32[capN + 1], byte offsets into keyBytes
let weights: usize = 0; // u32[capN]
let ids: usize = 0; // i32[capN], the value stored in the table for backend j
let offsets: usize = 0; // u32[capN]
let skips: usize = 0; // u32[capN]
let state: usize = 0; // u32[4 * capN]: (next position, skip, 2·skip mod m, skip⁻¹ mod m or 0) per backend
let activeIds: usize = 0; // i32[capN]
let activeWeights: usize = 0; // u32[capN]
let turns: usize = 0; // u32[capN], turns taken so far (weighted fill)
let order: usize = 0; // u64[capN], min-heap of (next iteration << 32 | backend) (weighted fill)

let capKeyBytes: u32 = 0;
let keyBytes: usize = 0;

let capM: u32 = 0;
let table: usize = 0; // i32[capM]
let taken: usize = 0; // u32[ceil(capM / 32)], occupancy bits: 8 KiB at M=65537, stays in L1
let free: usize = 0; // u32[tailSize(capM)], the free slots once the fill enters its tail

/** True when `m` is a prime in [2, MAGLEV_MAX_SIZE] (trial division: at most ~1,100 steps). */
export function maglevIsValidSize(m: u32): bool {
  if (m < 2 || m > MAGLEV_MAX_SIZE) return false;
  if (m < 4) return true;
  if ((m & 1) == 0) return false;
  for (let d: u32 = 3; d * d <= m; d += 2) {
    if (m % d == 0) return false;
  }
  return true;
}

function reserveBackends(n: u32): void {
  if (n <= capN) return;
  const cap = n > capN << 1 ? n : capN << 1;
  const c = <usize>cap;
  const base = heap.alloc(c * 56 + 8);
  state = base; // 16-byte records first, then the u64 heap: both stay aligned
  order = state + c * 16;
  keyOffsets = order + c * 8;
  weights = keyOffsets + c * 4 + 4;
  ids = weights + c * 4;
  offsets = ids + c * 4;
  skips = offsets + c * 4;
  activeIds = skips + c * 4;
  activeWeights = activeIds + c * 4;
  turns = activeWeights + c * 4;
  capN = cap;
}

/**
 * Makes room for `n` backends, a table of `m` slots and `keyByteCount` bytes of keys. Call before
 * writing inputs; afterwards re-read every region pointer and re-derive views (memory may grow).
 */
export function maglevReserve(n: u32, m: u32, keyByteCount: u32): void {
  reserveBackends(n > 0 ? n : 1);
  if (keyByteCount > capKeyBytes) {
    const cap = keyByteCount > capKeyBytes << 1 ? keyByteCount : capKeyBytes << 1;
    keyBytes = heap.alloc(<usize>cap);
    capKeyBytes = cap;
  }
  if (m > capM) {
    table = heap.alloc(<usize>m * 4);
    taken = heap.alloc(((<usize>m + 31) >> 5) << 2);
    free = heap.alloc(<usize>tailSize(m) << 2);
    capM = m;
  }
}

/** Region pointers; valid until the next maglevReserve. */
export function maglevKeyBytesPtr(): usize { return keyBytes; }
export function maglevKeyOffsetsPtr(): usize { return keyOffsets; }
export function maglevWeightsPtr(): usize { return weights; }
export function maglevIdsPtr(): usize { return ids; }
export function maglevOffsetsPtr(): usize { return offsets; }
export function maglevSkipsPtr(): usize { return skips; }
export function maglevTablePtr(): usize { return table; }

/**
 * Populates the table from keys: key j is keyBytes[keyOffsets[j] .. keyOffsets[j+1]), and the keys
 * must already be in Envoy's order (sorted by byte order). Returns MAGLEV_OK or an error code.
 */
export function maglevPopulate(n: u32, m: u32): u32 {
  if (!maglevIsValidSize(m)) return MAGLEV_ERR_SIZE;
  if (n > capN || m > capM) return MAGLEV_ERR_CAPACITY;
  const m64 = <u64>m;
  let start = load<u32>(keyOffsets);
  for (let j: u32 = 0; j < n; j++) {
    const at = <usize>j << 2;
    const end = load<u32>(keyOffsets + at + 4);
    const p = keyBytes + <usize>start;
    const len = <usize>(end - start);
    store<u32>(offsets + at, <u32>(xxh64At(p, len, 0) % m64));
    store<u32>(skips + at, <u32>(xxh64At(p, len, 1) % (m64 - 1)) + 1);
    start = end;
  }
  return fill(n, m);
}

/**
 * Populates the table from offsets and skips already written (the paper's own examples give them
 * directly): offset < m and 1 ≤ skip < m. Returns MAGLEV_OK or an error code.
 */
export function maglevPopulateFrom(n: u32, m: u32): u32 {
  if (!maglevIsValidSize(m)) return MAGLEV_ERR_SIZE;
  if (n > capN || m > capM) return MAGLEV_ERR_CAPACITY;
  for (let j: u32 = 0; j < n; j++) {
    const at = <usize>j << 2;
    const skip = load<u32>(skips + at);
    if (load<u32>(offsets + at) >= m || skip == 0 || skip >= m) return MAGLEV_ERR_PERMUTATION;
  }
  return fill(n, m);
}

function fill(n: u32, m: u32): u32 {
  // Compact the backends that take part (weight > 0), keeping key order.
  let active: u32 = 0;
  let maxWeight: u32 = 0;
  let minWeight: u32 = u32.MAX_VALUE;
  for (let j: u32 = 0; j < n; j++) {
    const at = <usize>j << 2;
    const w = load<u32>(weights + at);
    if (w == 0) continue;
    const to = <usize>active;
    const sp = state + (to << 4);
    const skip = load<u32>(skips + at);
    const skip2 = skip << 1; // skip < m ≤ MAGLEV_MAX_SIZE: no overflow
    store<u32>(sp, load<u32>(offsets + at));
    store<u32>(sp, skip, 4);
    store<u32>(sp, select<u32>(skip2 - m, skip2, skip2 >= m), 8);
    store<u32>(sp, 0, 12); // inverse computed on demand in the tail
    store<i32>(activeIds + (to << 2), load<i32>(ids + at));
    store<u32>(activeWeights + (to << 2), w);
    if (w > maxWeight) maxWeight = w;
    if (w < minWeight) minWeight = w;
    active++;
  }
  if (active == 0) {
    memory.fill(table, 0xFF, <usize>m << 2); // -1 everywhere: selects nothing
    return MAGLEV_OK;
  }
  memory.fill(taken, 0, ((<usize>m + 31) >> 5) << 2);
  const tailFrom = m - tailSize(m);
  if (minWeight == maxWeight) fillEqual(active, m, tailFrom);
  else fillWeighted(active, m, tailFrom, maxWeight);
  return MAGLEV_OK;
}

/**
 * How many of the last fills use the direct search (takeTurnTail) instead of probing: about √m,
 * where a probe walk (≈ m / free slots steps) starts to cost more than scanning the free slots.
 */
// @ts-ignore: decorator
@inline function tailSize(m: u32): u32 {
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
 * without a division per probe. Probes go four at a time and the first free one is picked without
 * branching: the only branch left ("none of the four is free") is predictable for most of the
 * fill, where a branch per probe mispredicted about once per turn.
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
  store<i32>(table + (<usize>pos << 2), load<i32>(activeIds + (b << 2)));
  store<u32>(sp, wrap(pos + skip, m));
}

/** Collects the free slots into `free`; returns how many there are. */
function collectFree(m: u32): u32 {
  let count: u32 = 0;
  for (let pos: u32 = 0; pos < m; pos++) {
    const bits = load<u32>(taken + (<usize>(pos >> 5) << 2));
    if ((bits & (1 << (pos & 31))) == 0) {
      store<u32>(free + (<usize>count << 2), pos);
      count++;
    }
  }
  return count;
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
function takeTurnTail(b: usize, m: u32, freeCount: u32): u32 {
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
  const last = free + (<usize>(freeCount - 1) << 2);
  const slotAt = free + (<usize>best << 2);
  const slot = load<u32>(slotAt);
  store<u32>(slotAt, load<u32>(last));
  store<i32>(table + (<usize>slot << 2), load<i32>(activeIds + (b << 2)));
  store<u32>(sp, wrap(slot + skip, m));
  return freeCount - 1;
}

// Every backend takes a turn on every iteration: plain round robin in key order.
function fillEqual(active: u32, m: u32, tailFrom: u32): void {
  let filled: u32 = 0;
  let b: u32 = 0;
  while (filled < tailFrom) {
    takeTurn(<usize>b, m);
    filled++;
    if (++b == active) b = 0;
  }
  let freeCount = collectFree(m);
  while (freeCount > 0) {
    freeCount = takeTurnTail(<usize>b, m, freeCount);
    if (++b == active) b = 0;
  }
}

/**
 * Envoy's weighted order, without scanning every backend on every iteration: backend b takes its
 * k-th turn (k from 0) on the first iteration after its previous turn (iteration 0 before any) with
 * i × w ≥ k × maxWeight, i.e. on max(previous + 1, ceil(k × maxWeight / w)), and within an
 * iteration backends go in key order. A min-heap of (iteration << 32 | b) yields exactly that
 * sequence in O(log N) per turn.
 */
function fillWeighted(active: u32, m: u32, tailFrom: u32, maxWeight: u32): void {
  const n = <usize>active;
  // Everyone's first turn is on iteration 1; ascending b is already a valid min-heap.
  for (let b: usize = 0; b < n; b++) {
    store<u64>(order + (b << 3), (<u64>1 << 32) | <u64>b);
    store<u32>(turns + (b << 2), 0);
  }
  let freeCount: u32 = 0;
  for (let filled: u32 = 0; filled < m; filled++) {
    const top = load<u64>(order);
    const b = <usize>(<u32>top);
    if (filled < tailFrom) {
      takeTurn(b, m);
    } else {
      if (filled == tailFrom) freeCount = collectFree(m);
      freeCount = takeTurnTail(b, m, freeCount);
    }
    const k = load<u32>(turns + (b << 2)) + 1;
    store<u32>(turns + (b << 2), k);
    const w = <u64>load<u32>(activeWeights + (b << 2));
    let next = (<u64>k * <u64>maxWeight + w - 1) / w;
    // One turn per iteration at most: a backend of the heaviest weight would otherwise be due again
    // on the iteration it just had (its first turn comes on iteration 1, not 0).
    const after = (top >> 32) + 1;
    if (next < after) next = after;
    // Iterations never pass m (the heaviest backend takes a turn on each), so clamping is exact.
    if (next > 0xFFFFFFFF) next = 0xFFFFFFFF;
    siftDown((next << 32) | <u64>b, n);
  }
}

// Replaces the heap's top with `key` and restores the min-heap property. Branch-free child choice:
// the comparisons are unpredictable, and a mispredict costs more than the select.
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
