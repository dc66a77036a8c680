/**
 * Typed façade over Maglev table population (assembly/maglev.ts). Envoy-compatible: a Fulcrum
 * node and an Envoy given the same backend keys, weights and table size agree slot for slot.
 * Tables are built off the hot path and returned as a fresh JS copy; lookups happen in JS.
 */
import { LbError } from "../errors.ts";
import { core, memI32, memU32, memU8 } from "./core.ts";
import { byteOrder, rejectDuplicates, stringOrder, writeKeys } from "./maglev-keys.ts";

/** Envoy's default table size (a prime). */
export const MAGLEV_DEFAULT_SIZE = 65537;
/** The largest table size accepted (a prime). */
export const MAGLEV_MAX_SIZE = 5_000_011;

interface MaglevExports {
  maglevReserve(n: number, m: number, keyBytes: number): void;
  maglevKeyBytesPtr(): number;
  maglevKeyOffsetsPtr(): number;
  maglevWeightsPtr(): number;
  maglevIdsPtr(): number;
  maglevOffsetsPtr(): number;
  maglevSkipsPtr(): number;
  maglevTablePtr(): number;
  maglevPopulate(n: number, m: number): number;
  maglevPopulateFrom(n: number, m: number): number;
  maglevFillMode(mode: number): void;
}

const MAX_WEIGHT = 0xffffffff;

/** True when `n` is a prime (integers only; trial division, fine up to MAGLEV_MAX_SIZE and well beyond). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function checkSize(size: number): void {
  if (!isPrime(size) || size > MAGLEV_MAX_SIZE) {
    throw new LbError(
      "MAGLEV_TABLE_SIZE",
      `maglev table size must be a prime no larger than ${MAGLEV_MAX_SIZE} (default ${MAGLEV_DEFAULT_SIZE}), got ${size}`,
    );
  }
}

function checkWeights(weights: readonly number[], n: number): void {
  if (weights.length !== n) {
    throw new LbError("INVALID_ARGUMENT", `maglev: ${n} keys but ${weights.length} weights`);
  }
  for (const w of weights) {
    if (!Number.isInteger(w) || w < 0 || w > MAX_WEIGHT) {
      throw new LbError("INVALID_ARGUMENT", `maglev: weight must be an integer in 0..${MAX_WEIGHT}, got ${w}`);
    }
  }
}

function takeTable(ex: MaglevExports, m: number, rc: number): Int32Array {
  if (rc !== 0) throw new LbError("INTERNAL", `maglev populate failed in the core (code ${rc})`);
  const at = (ex.maglevTablePtr() >>> 0) >>> 2;
  return memI32().slice(at, at + m);
}

/**
 * Builds the Maglev lookup table of `size` slots (a prime ≤ MAGLEV_MAX_SIZE, default 65537) for
 * backends named by `keys` (Envoy hashes the address, e.g. "10.0.0.1:80") with integer `weights`
 * (0 = no slots). `table[slot]` is an index into `keys` as given; -1 everywhere when no backend has
 * weight > 0. Throws LbError MAGLEV_TABLE_SIZE (400) for a bad size and INVALID_ARGUMENT for
 * mismatched lengths, bad weights or duplicate keys. At N=1000, M=65537 the core takes about 1.1 ms
 * and the rest about 0.1 ms, plus the first touch of the returned table's fresh pages (64 of them;
 * about 15 µs each on a Firecracker guest): build it off the hot path and keep it.
 */
export function maglevTable(
  keys: readonly string[],
  weights: readonly number[],
  size: number = MAGLEV_DEFAULT_SIZE,
): Int32Array {
  checkSize(size);
  const n = keys.length;
  checkWeights(weights, n);
  let bound = 0;
  for (let j = 0; j < n; j++) bound += keys[j]!.length;
  const ex = core() as unknown as MaglevExports;
  ex.maglevReserve(n, size, bound * 3); // UTF-8 never needs more than 3 bytes per code unit
  const bytesPtr = ex.maglevKeyBytesPtr() >>> 0;
  const offs = (ex.maglevKeyOffsetsPtr() >>> 0) >>> 2;
  const wts = (ex.maglevWeightsPtr() >>> 0) >>> 2;
  const ids = (ex.maglevIdsPtr() >>> 0) >>> 2;
  const u8 = memU8();
  const u32 = memU32();
  const i32 = memI32();
  let order = stringOrder(keys);
  if (!writeKeys(u8, bytesPtr, u32, offs, keys, order, false)) {
    order = byteOrder(keys);
    writeKeys(u8, bytesPtr, u32, offs, keys, order, true);
  }
  rejectDuplicates(keys, order);
  for (let s = 0; s < n; s++) {
    const idx = order[s]!;
    u32[wts + s] = weights[idx]!;
    i32[ids + s] = idx;
  }
  return takeTable(ex, size, ex.maglevPopulate(n, size));
}

/**
 * Runs the population loop on permutations given directly (the Maglev paper's Table 1 states its
 * offsets and skips rather than deriving them): backends fill in the order given, `table[slot]` is
 * that position. Needs 0 ≤ offset < size and 1 ≤ skip < size; `weights` default to all 1.
 */
export function maglevTableFrom(
  offsets: readonly number[],
  skips: readonly number[],
  size: number,
  weights: readonly number[] = offsets.map(() => 1),
): Int32Array {
  checkSize(size);
  const n = offsets.length;
  checkWeights(weights, n);
  if (skips.length !== n) throw new LbError("INVALID_ARGUMENT", `maglev: ${n} offsets but ${skips.length} skips`);
  for (let j = 0; j < n; j++) {
    const o = offsets[j]!;
    const k = skips[j]!;
    if (!Number.isInteger(o) || o < 0 || o >= size || !Number.isInteger(k) || k < 1 || k >= size) {
      throw new LbError("INVALID_ARGUMENT", `maglev: backend ${j} needs 0 <= offset < ${size} and 1 <= skip < ${size}`);
    }
  }
  const ex = core() as unknown as MaglevExports;
  ex.maglevReserve(n, size, 0);
  const u32 = memU32();
  const i32 = memI32();
  const [op, sp, wp, ip] = [ex.maglevOffsetsPtr(), ex.maglevSkipsPtr(), ex.maglevWeightsPtr(), ex.maglevIdsPtr()];
  for (let j = 0; j < n; j++) {
    u32[((op >>> 0) >>> 2) + j] = offsets[j]!;
    u32[((sp >>> 0) >>> 2) + j] = skips[j]!;
    u32[((wp >>> 0) >>> 2) + j] = weights[j]!;
    i32[((ip >>> 0) >>> 2) + j] = j;
  }
  return takeTable(ex, size, ex.maglevPopulateFrom(n, size));
}

const FILL_LOOPS = { auto: 0, scan: 1, heap: 2 } as const;

/**
 * Which fill loop later builds use: `auto` (the default) picks the per-iteration scan or the heap by
 * cost; `scan` and `heap` force one for every weighting, so tests can hold both to Envoy's table.
 */
export function setMaglevFillLoop(loop: keyof typeof FILL_LOOPS): void {
  (core() as unknown as MaglevExports).maglevFillMode(FILL_LOOPS[loop]);
}

/** Slots owned by each of `n` backends in `table` (as returned by maglevTable). */
export function maglevSlotCounts(table: Int32Array, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < table.length; i++) {
    const b = table[i]!;
    if (b >= 0 && b < n) counts[b] = counts[b]! + 1;
  }
  return counts;
}
