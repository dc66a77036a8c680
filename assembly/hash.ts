// Hashing kernels: xxHash64 (the reference algorithm, for Maglev and anything that must agree with
// Envoy) and the 32-bit 5-tuple flow hash (for flow-keyed selection; conntrack places flows with its own latency-built hash, assembly/conntrack-hash.ts).
// Every function reads bytes already in linear memory; nothing here allocates except hashScratch.
import { KS0, KS1, KS2, KS3, KD0, KD1, KD2, KD3, KP0, KP1 } from "./flow-keys";

// xxHash64 primes, from the reference implementation (Yann Collet, xxhash.h, XXH64).
// @ts-ignore: decorator
@inline const P1: u64 = 0x9E3779B185EBCA87;
// @ts-ignore: decorator
@inline const P2: u64 = 0xC2B2AE3D27D4EB4F;
// @ts-ignore: decorator
@inline const P3: u64 = 0x165667B19E3779F9;
// @ts-ignore: decorator
@inline const P4: u64 = 0x85EBCA77C2B2AE63;
// @ts-ignore: decorator
@inline const P5: u64 = 0x27D4EB2F165667C5;

// @ts-ignore: decorator
@inline function round(acc: u64, input: u64): u64 {
  return rotl<u64>(acc + input * P2, 31) * P1;
}

// @ts-ignore: decorator
@inline function mergeRound(acc: u64, val: u64): u64 {
  return (acc ^ round(0, val)) * P1 + P4;
}

/** xxHash64 of `len` bytes at `ptr` with `seed`, bit-exact with the reference XXH64. */
// @ts-ignore: decorator
@inline export function xxh64At(ptr: usize, len: usize, seed: u64): u64 {
  const end = ptr + len;
  let p = ptr;
  let h: u64;
  if (len >= 32) {
    let v1 = seed + P1 + P2;
    let v2 = seed + P2;
    let v3 = seed;
    let v4 = seed - P1;
    const limit = end - 32;
    do {
      v1 = round(v1, load<u64>(p));
      v2 = round(v2, load<u64>(p, 8));
      v3 = round(v3, load<u64>(p, 16));
      v4 = round(v4, load<u64>(p, 24));
      p += 32;
    } while (p <= limit);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = seed + P5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P1 + P4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= <u64>load<u32>(p) * P1;
    h = rotl<u64>(h, 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * P5;
    h = rotl<u64>(h, 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

/** xxHash64 of `len` bytes at `ptr`. Crosses to JS as a BigInt (slow): tests and tools only. */
export function xxh64(ptr: usize, len: u32, seed: u64): u64 {
  return xxh64At(ptr, len, seed);
}

let lastHigh: u32 = 0;

/**
 * xxHash64 with the seed as two u32 halves; returns the low 32 bits and keeps the high 32 bits for
 * `xxh64High()`. The BigInt-free form for callers on the JS side.
 */
export function xxh64Low(ptr: usize, len: u32, seedLo: u32, seedHi: u32): u32 {
  const h = xxh64At(ptr, len, (<u64>seedHi << 32) | <u64>seedLo);
  lastHigh = <u32>(h >> 32);
  return <u32>h;
}

/** The high 32 bits of the last `xxh64Low` result. */
export function xxh64High(): u32 {
  return lastHigh;
}

/** xxHash64 written as a little-endian u64 at `outPtr` (8 bytes). */
export function xxh64Into(ptr: usize, len: u32, seedLo: u32, seedHi: u32, outPtr: usize): void {
  store<u64>(outPtr, xxh64At(ptr, len, (<u64>seedHi << 32) | <u64>seedLo));
}

/**
 * Hashes `count` keys in one call: key i is the bytes [dataPtr + offsets[i], dataPtr + offsets[i+1])
 * where `offsetsPtr` holds count+1 u32 offsets; writes count u64 results at `outPtr`.
 */
export function xxh64Batch(
  dataPtr: usize, offsetsPtr: usize, count: u32, seedLo: u32, seedHi: u32, outPtr: usize,
): void {
  const seed = (<u64>seedHi << 32) | <u64>seedLo;
  let start = load<u32>(offsetsPtr);
  for (let i: u32 = 0; i < count; i++) {
    const end = load<u32>(offsetsPtr + ((<usize>i + 1) << 2));
    store<u64>(outPtr + (<usize>i << 3), xxh64At(dataPtr + start, end - start, seed));
    start = end;
  }
}

// Flow-hash keys (KS*, KD*, KP*): flow-keys.ts.

// @ts-ignore: decorator
@inline function fmix64(x: u64): u64 {
  // MurmurHash3's 64-bit finalizer (Austin Appleby): every input bit reaches every output bit.
  let h = x ^ (x >> 33);
  h *= 0xFF51AFD7ED558CCD;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53;
  return h ^ (h >> 33);
}

/**
 * The 32-bit flow hash of the 40-byte 5-tuple at `ptr` (layout: src[16] dst[16] sport dport proto).
 *
 * NH (the UMAC/Adiantum universal hash): the ten u32 words, each added to a seed-derived key mod
 * 2^32, are multiplied in pairs (source word i × destination word i, ports × protocol) into full
 * 64-bit products and summed; MurmurHash3's finalizer then spreads the sum into 32 bits. Five
 * independent 32×32→64 multiplies instead of xxHash's chained rounds: that is what makes the batch
 * form fast, and `i64x2.extmul_*_i32x4_u` does two products in one SIMD instruction.
 */
// @ts-ignore: decorator
@inline export function hashTupleAt(ptr: usize, seed: u32): u32 {
  const ks = i32x4(KS0 ^ seed, KS1 ^ seed, KS2 ^ seed, KS3 ^ seed);
  const kd = i32x4(KD0 ^ seed, KD1 ^ seed, KD2 ^ seed, KD3 ^ seed);
  const s = i32x4.add(v128.load(ptr), ks);
  const d = i32x4.add(v128.load(ptr, 16), kd);
  const acc = i64x2.add(i64x2.extmul_low_i32x4_u(s, d), i64x2.extmul_high_i32x4_u(s, d));
  // Separate u32 locals: inside a `<u64>(...)` cast asc would widen the loads and add in 64 bits,
  // losing the mod 2^32 wrap the definition (and the SIMD lanes above) use.
  const ports: u32 = load<u32>(ptr, 32) + (KP0 ^ seed);
  const proto: u32 = load<u32>(ptr, 36) + (KP1 ^ seed);
  const sum = i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1) + <u64>ports * <u64>proto;
  return <u32>fmix64(<u64>sum);
}

/** Hashes `count` consecutive 40-byte tuples at `inPtr` into `count` u32s at `outPtr`. */
export function hashTuples(inPtr: usize, count: u32, seed: u32, outPtr: usize): void {
  const end = inPtr + <usize>count * 40;
  let p = inPtr;
  let o = outPtr;
  // Two tuples per step: their multiplies are independent, so the CPU overlaps them.
  const pairsEnd = inPtr + <usize>(count >> 1) * 80;
  while (p < pairsEnd) {
    const h0 = hashTupleAt(p, seed);
    const h1 = hashTupleAt(p + 40, seed);
    store<u32>(o, h0);
    store<u32>(o, h1, 4);
    p += 80;
    o += 8;
  }
  if (p < end) store<u32>(o, hashTupleAt(p, seed));
}

/** Flow hash of one tuple, exported for the JS façade (per-tuple calls; prefer `hashTuples`). */
export function hashTuple(ptr: usize, seed: u32): u32 {
  return hashTupleAt(ptr, seed);
}

let scratchPtr: usize = 0;
let scratchCap: usize = 0;

/**
 * A scratch region of at least `bytes` bytes for the hash façade to stage keys and results.
 * Reserved once and grown (doubling) only when a bigger one is asked: a call that grows may grow
 * linear memory, so the caller re-derives its views afterwards.
 */
export function hashScratch(bytes: u32): usize {
  if (<usize>bytes > scratchCap) {
    let cap = scratchCap < 4096 ? <usize>4096 : scratchCap;
    while (cap < <usize>bytes) cap <<= 1;
    scratchPtr = heap.alloc(cap);
    scratchCap = cap;
  }
  return scratchPtr;
}
