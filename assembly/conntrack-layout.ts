// The conntrack table's memory layout and the small inline helpers over it, shared by the
// exported operations in conntrack.ts (split out only to keep each file readable).
import { ctMix, ctTag, ctAlt } from "./conntrack-hash";
// Slot layout (16 u32 words, 64-byte aligned; words 0..14 are the entry and move with it):
// 0 tag (placement hash | 1; 0 = empty), 1 backend, 2 last seen ms, 3 flags, 4..13 the 40-byte
// tuple, 14 alt (the second bucket's offset, so a move never rehashes the key), 15 BFS stamp
// (slot 0 of a bucket only; belongs to the bucket, never moves).
export const SLOT: usize = 64;
export const BUCKET: usize = 256;
export const ENTRY_BYTES: usize = 60;
export const O_BACKEND: usize = 4;
export const O_SEEN: usize = 8;
export const O_FLAGS: usize = 12;
export const O_KEY: usize = 16;
export const O_ALT: usize = 56;
export const O_STAMP: usize = 60;

/** Most buckets one insert's breadth-first search visits; its eviction window is 4× this in slots. */
export const CONNTRACK_MAX_NODES: u32 = 512;
/**
 * The search budget past 96% load. Up to there a free slot is almost always found within a few
 * buckets and the wide budget only serves the rare hard case (it is what fits 1,000,000 flows in
 * 1,048,000 slots); past it most searches fail, and a failed 512-bucket search costs ~30 µs.
 */
export const CONNTRACK_CROWDED_NODES: u32 = 16;
/** Tuples one conntrackLookupBatch call takes from the table's batch region. */
export const CONNTRACK_BATCH: u32 = 256;
/** Lookups of a batch whose buckets are fetched together before any is probed. */
export const BATCH_GROUP: u32 = 16;

// Header at the handle (u32 byte offsets); the tuple scratch follows at +64, BFS nodes at +128,
// then the batch tuples and their results; the slots start at the next 64-byte boundary.
export const H_CAPACITY: usize = 0;
export const H_SIZE: usize = 4;
export const H_INSERTS: usize = 8;
export const H_EVICTIONS: usize = 12;
export const H_EXPIRATIONS: usize = 16;
export const H_BUCKETS: usize = 20;
export const H_SEED: usize = 24;
export const H_CURSOR: usize = 28;
export const H_GEN: usize = 32;
export const H_SLOTS: usize = 36;
export const H_LAST_FLAGS: usize = 40;
export const H_TOUCH: usize = 44;
export const H_SCRATCH: usize = 64;
export const H_NODES: usize = 128;
export const H_BATCH: usize = H_NODES + <usize>CONNTRACK_MAX_NODES * 12;
export const H_RESULTS: usize = H_BATCH + <usize>CONNTRACK_BATCH * 40;
export const HEADER_BYTES: usize = H_RESULTS + <usize>CONNTRACK_BATCH * 4;

/** Smallest and largest accepted capacities (slots); 2^23 slots is 512 MiB. */
export const CONNTRACK_MIN_CAPACITY: u32 = 8;
export const CONNTRACK_MAX_CAPACITY: u32 = 1 << 23;

/** Outcomes of conntrackInsert. */
export const CONNTRACK_UPDATED: u32 = 0;
export const CONNTRACK_INSERTED: u32 = 1;
export const CONNTRACK_EVICTED: u32 = 2;

// @ts-ignore: decorator
@inline export function fastrange(x: u32, n: u32): u32 {
  // Lemire's multiply-shift: maps a u32 uniformly onto [0, n) without a division.
  return <u32>((<u64>x * <u64>n) >> 32);
}

// @ts-ignore: decorator
@inline export function bucket1(tag: u32, buckets: u32): u32 {
  return fastrange(tag, buckets);
}

// @ts-ignore: decorator
@inline export function bucket2(alt: u32, b1: u32, buckets: u32): u32 {
  // The second hash half picks an offset in 1..buckets-1, so the two buckets always differ; it
  // is ready as early as the tag, so both buckets' misses start together.
  const b2 = b1 + 1 + fastrange(alt, buckets - 1);
  return b2 >= buckets ? b2 - buckets : b2;
}

// @ts-ignore: decorator
@inline export function slotsOf(table: usize): usize {
  return <usize>load<u32>(table, H_SLOTS);
}

// @ts-ignore: decorator
@inline export function keyEquals(slot: usize, keyPtr: usize): bool {
  const a = v128.xor(v128.load(slot, O_KEY), v128.load(keyPtr));
  const b = v128.xor(v128.load(slot, O_KEY + 16), v128.load(keyPtr, 16));
  const c = load<u64>(slot, O_KEY + 32) ^ load<u64>(keyPtr, 32);
  return !v128.any_true(v128.or(a, b)) && c == 0;
}

/** The slot of bucket p or q (in that order) holding `tag` and the key at keyPtr, or 0. */
// @ts-ignore: decorator
@inline export function probe(p: usize, q: usize, tag: u32, keyPtr: usize): usize {
  // All eight tags are loaded before any branch, so the two buckets' cache misses overlap.
  let m = <u32>(load<u32>(p) == tag) | (<u32>(load<u32>(p, 64) == tag) << 1)
    | (<u32>(load<u32>(p, 128) == tag) << 2) | (<u32>(load<u32>(p, 192) == tag) << 3)
    | (<u32>(load<u32>(q) == tag) << 4) | (<u32>(load<u32>(q, 64) == tag) << 5)
    | (<u32>(load<u32>(q, 128) == tag) << 6) | (<u32>(load<u32>(q, 192) == tag) << 7);
  while (m != 0) {
    const i = <usize>ctz(m);
    const slot = (i < 4 ? p : q - BUCKET) + i * SLOT;
    if (keyEquals(slot, keyPtr)) return slot;
    m &= m - 1;
  }
  return 0;
}

/**
 * probe for one lookup on its own: the same slots in the same order, but a branch per slot, so a
 * hit goes on as soon as its own line arrives instead of when the last of the eight does. Each
 * branch is predicted "no match" (7 in 8 are), so all eight loads still issue at once; the one
 * that matches mispredicts (~5 ns) when its line lands, and the others finish in the background.
 * A chained lookup at 1,000,000 flows waits for the latest of eight lines otherwise (8 lines a
 * step cost ~45 ns more than 1 line in the pattern bench).
 */
// @ts-ignore: decorator
@inline export function probeEach(p: usize, q: usize, tag: u32, keyPtr: usize): usize {
  if (load<u32>(p) == tag && keyEquals(p, keyPtr)) return p;
  if (load<u32>(p, 64) == tag && keyEquals(p + 64, keyPtr)) return p + 64;
  if (load<u32>(p, 128) == tag && keyEquals(p + 128, keyPtr)) return p + 128;
  if (load<u32>(p, 192) == tag && keyEquals(p + 192, keyPtr)) return p + 192;
  if (load<u32>(q) == tag && keyEquals(q, keyPtr)) return q;
  if (load<u32>(q, 64) == tag && keyEquals(q + 64, keyPtr)) return q + 64;
  if (load<u32>(q, 128) == tag && keyEquals(q + 128, keyPtr)) return q + 128;
  if (load<u32>(q, 192) == tag && keyEquals(q + 192, keyPtr)) return q + 192;
  return 0;
}

/** The slot holding the key at keyPtr, or 0. */
// @ts-ignore: decorator
@inline export function findSlot(table: usize, keyPtr: usize): usize {
  const mix = ctMix(keyPtr, load<u32>(table, H_SEED));
  const tag = ctTag(mix);
  const buckets = load<u32>(table, H_BUCKETS);
  const slots = slotsOf(table);
  const b1 = bucket1(tag, buckets);
  return probeEach(slots + <usize>b1 * BUCKET, slots + <usize>bucket2(ctAlt(mix), b1, buckets) * BUCKET, tag, keyPtr);
}

// @ts-ignore: decorator
@inline export function clearEntry(slot: usize): void {
  // Words 14..15 belong to the position (the bucket's BFS stamp), so only the entry is wiped.
  memory.fill(slot, 0, ENTRY_BYTES);
}

// @ts-ignore: decorator
@inline export function ageOf(slot: usize, nowMs: u32): u32 {
  // u32 milliseconds wrap every 49.7 days; the wrapping difference is right for shorter idles.
  return nowMs - load<u32>(slot, O_SEEN);
}

// @ts-ignore: decorator
@inline export function firstFree(bucketPtr: usize): usize {
  for (let k: usize = 0; k < BUCKET; k += SLOT) {
    if (load<u32>(bucketPtr + k) == 0) return bucketPtr + k;
  }
  return 0;
}
