// The conntrack table's placement hash. A single lookup from JS cannot start its memory miss
// until the bucket address is known, so this hash is built for latency, not for batch throughput:
//
// - It reads the tuple as ten scalar u32 words. The façade writes the key scratch one u32 at a
//   time, and a wider load covering several of those stores cannot be store-forwarded (it waits
//   until the stores have retired and reached L1), which puts that wait on every lookup's path.
// - NH (the UMAC/Adiantum universal hash, as hashTupleAt in hash.ts, same keys): five independent
//   32x32->64 products summed, so a word reaches the sum after one add and one multiply.
// - A short finalizer: one xor-fold, then two independent 64-bit multiplies whose high halves give
//   the tag (first bucket, and the 32-bit check stored in the slot) and `alt` (the second bucket's
//   offset, stored beside it so moves never rehash), ready together so both buckets' misses start
//   at once. With hashTupleAt (wide loads, fmix64's two chained multiplies and three xor-shifts,
//   then a remix of the tag for the second bucket) a chained lookup in cache took 37-39 ns; with
//   this one 28-32 (same run), and as much comes off each lookup at 1,000,000 flows.
// Both halves are checked for spread at 1,000,000 flows (test/assembly/conntrack-hash.test.ts).
import { KS0, KS1, KS2, KS3, KD0, KD1, KD2, KD3, KP0, KP1 } from "./flow-keys";

// NH keys: the same as hashTupleAt's (flow-keys.ts), seed-xored.
// Finalizer multipliers: odd 64-bit constants (xxHash64's P1 and P2).
// @ts-ignore: decorator
@inline const M_TAG: u64 = 0x9E3779B185EBCA87;
// @ts-ignore: decorator
@inline const M_ALT: u64 = 0xC2B2AE3D27D4EB4F;

// @ts-ignore: decorator
@inline function pair(a: u32, ka: u32, b: u32, kb: u32): u64 {
  // Separate u32 adds: inside a `<u64>(...)` cast asc would add in 64 bits and lose the wrap.
  const x: u32 = a + ka;
  const y: u32 = b + kb;
  return <u64>x * <u64>y;
}

/** The folded NH sum of the tuple at ptr; `ctTag` and `ctAlt` finish it. */
// @ts-ignore: decorator
@inline export function ctMix(ptr: usize, seed: u32): u64 {
  const sum = pair(load<u32>(ptr), KS0 ^ seed, load<u32>(ptr, 16), KD0 ^ seed)
    + pair(load<u32>(ptr, 4), KS1 ^ seed, load<u32>(ptr, 20), KD1 ^ seed)
    + pair(load<u32>(ptr, 8), KS2 ^ seed, load<u32>(ptr, 24), KD2 ^ seed)
    + pair(load<u32>(ptr, 12), KS3 ^ seed, load<u32>(ptr, 28), KD3 ^ seed)
    + pair(load<u32>(ptr, 32), KP0 ^ seed, load<u32>(ptr, 36), KP1 ^ seed);
  return sum ^ (sum >> 32);
}

/** The slot tag (never 0: empty slots hold 0); its value also picks the first bucket. */
// @ts-ignore: decorator
@inline export function ctTag(mix: u64): u32 {
  return <u32>((mix * M_TAG) >> 32) | 1;
}

/** The second bucket's offset from the first (see bucket2 in conntrack-layout.ts). */
// @ts-ignore: decorator
@inline export function ctAlt(mix: u64): u32 {
  return <u32>((mix * M_ALT) >> 32);
}

/** The source words' NH keys for `seed`, as one vector (for ctMixWide). */
// @ts-ignore: decorator
@inline export function ctKeysSrc(seed: u32): v128 {
  return i32x4(KS0 ^ seed, KS1 ^ seed, KS2 ^ seed, KS3 ^ seed);
}

/** The destination words' NH keys for `seed`, as one vector (for ctMixWide). */
// @ts-ignore: decorator
@inline export function ctKeysDst(seed: u32): v128 {
  return i32x4(KD0 ^ seed, KD1 ^ seed, KD2 ^ seed, KD3 ^ seed);
}

/**
 * ctMix computed with SIMD, for the batch path: its tuples were copied in whole, so wide loads
 * forward (or hit L1), and two products per instruction beat five scalar ones. Same value.
 */
// @ts-ignore: decorator
@inline export function ctMixWide(ptr: usize, seed: u32, ks: v128, kd: v128): u64 {
  const s = i32x4.add(v128.load(ptr), ks);
  const d = i32x4.add(v128.load(ptr, 16), kd);
  const acc = i64x2.add(i64x2.extmul_low_i32x4_u(s, d), i64x2.extmul_high_i32x4_u(s, d));
  // u64, not the lanes' i64: the fold below must shift in zeros, as ctMix's does.
  const sum: u64 = <u64>i64x2.extract_lane(acc, 0) + <u64>i64x2.extract_lane(acc, 1)
    + pair(load<u32>(ptr, 32), KP0 ^ seed, load<u32>(ptr, 36), KP1 ^ seed);
  return sum ^ (sum >> 32);
}

/**
 * The placement hash of the tuple at keyPtr (ctMix, ctTag, ctAlt above): `which` 0 gives the tag
 * (first bucket and check word), 1 the second bucket's offset; 2 and 3 the same through the batch
 * path's SIMD form. For tests against the oracle.
 */
export function conntrackHash(keyPtr: usize, seed: u32, which: u32): u32 {
  const mix = which < 2 ? ctMix(keyPtr, seed) : ctMixWide(keyPtr, seed, ctKeysSrc(seed), ctKeysDst(seed));
  return (which & 1) == 0 ? ctTag(mix) : ctAlt(mix);
}
