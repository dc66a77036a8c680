// Maglev table population (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
// Balancer", NSDI 2016, §3.4, Pseudocode 1), Envoy-compatible: offset = xxh64(key, 0) mod M,
// skip = xxh64(key, 1) mod (M-1) + 1, backends in key order, and Envoy's weight scheme in Envoy's
// double arithmetic (maglev_lb.cc: a backend takes a turn on iteration i unless i × w < target,
// with w = weight / Σweight and target += the largest w after each turn).
//
// Called from src/wasm/maglev.ts only. The façade writes the keys (already sorted), weights and the
// id to store for each backend into regions reserved here, then calls maglevPopulate; the table
// comes back as i32 ids, -1 when no backend has weight > 0. Regions are reserved once and grown only
// when a bigger N, M or key size is asked, so populate itself never allocates.
import { xxh64At } from "./hash";
import { FILL_AUTO, FILL_HEAP, fillTable, fillUse, tailSize } from "./maglev-fill";

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
let turns: usize = 0; // u32[capN], weighted-fill scratch (the backends due in one iteration)
let order: usize = 0; // u64[capN], weighted-fill scratch (heap keys)
let norms: usize = 0; // f64[capN], Envoy's normalized weight w / Σw of each active backend
let targets: usize = 0; // f64[capN], Envoy's target_weight_ of each active backend

let capKeyBytes: u32 = 0;
let keyBytes: usize = 0;

let capM: u32 = 0;
let table: usize = 0; // i32[capM]
let taken: usize = 0; // u32[ceil(capM / 32)], occupancy bits: 8 KiB at M=65537, stays in L1
let free: usize = 0; // u32[tailSize(capM) + 1], the free slots once the fill enters its tail

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
  const base = heap.alloc(c * 72 + 8);
  state = base; // 16-byte records first, then the 8-byte arrays: all stay aligned
  order = state + c * 16;
  norms = order + c * 8;
  targets = norms + c * 8;
  keyOffsets = targets + c * 8;
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
    free = heap.alloc((<usize>tailSize(m) + 1) << 2); // +1: collectFree stores before it counts
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

let fillMode: u32 = FILL_AUTO;

/**
 * Sets the loop later populates fill with: 0 picks the per-iteration scan or the heap by cost
 * (the default); 1 forces the scan and 2 the heap, for every weighting, equal weights included,
 * so tests can hold both to Envoy's table.
 */
export function maglevFillMode(mode: u32): void {
  fillMode = mode <= FILL_HEAP ? mode : FILL_AUTO;
}

// Compacts the backends that take part (weight > 0) into the fill's state, keeping key order, and
// fills the table (or marks it empty).
function fill(n: u32, m: u32): u32 {
  let active: u32 = 0;
  let maxWeight: u32 = 0;
  let minWeight: u32 = u32.MAX_VALUE;
  let weightSum: u64 = 0;
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
    weightSum += <u64>w;
    active++;
  }
  if (active == 0) {
    memory.fill(table, 0xFF, <usize>m << 2); // -1 everywhere: selects nothing
    return MAGLEV_OK;
  }
  memory.fill(taken, 0, ((<usize>m + 31) >> 5) << 2);
  fillUse(state, activeIds, activeWeights, taken, table, free, order, turns, norms, targets);
  fillTable(active, m, maxWeight, minWeight, weightSum, fillMode);
  return MAGLEV_OK;
}
