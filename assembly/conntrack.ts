// 5-tuple connection tracking: a fixed-capacity table in linear memory, reserved once by
// conntrackInit and never grown. Called from src/wasm/conntrack.ts only.
//
// Scheme: blocked cuckoo hashing (Dietzfelbinger & Weidling, "Balanced allocation and dictionaries
// with tightly packed constant size bins", 2007): every key may live in one of two buckets of four
// 64-byte slots. A lookup reads at most eight slots, all known from the hash before any branch, so
// the memory loads overlap; an entry occupies exactly one cache line; 2-choice/4-slot buckets stay
// placeable past 95% load, which is how 1,000,000 flows fit in 64 MiB. Removal just clears a slot
// (no tombstones, no probe chains to repair), so sweeps and deletes stay O(1) per slot.
// Insert into two full buckets searches breadth-first (at most 512 buckets, 16 past 96% load) for
// a chain of moves ending in a free slot; failing that it evicts the least recently seen entry
// among the buckets it visited (its bounded window) and shifts the chain into the freed slot.
// A lookup from JS waits for one DRAM round trip: its eight lines overlap, but waiting for the
// latest of them costs ~45 ns more than one line (pattern bench), so a single lookup branches per
// slot (probeEach) and a hit goes on when its own line lands. The work between two misses
// (staging, the call, the hash, the probe: ~25-35 ns in cache, test/bench/conntrack-components.ts)
// does not overlap a chained miss. Why no layout reads one line: src/wasm/conntrack.ts.
// conntrackLookupBatch overlaps 16 lookups at a time, bound by the lines it fetches.
import { ctMix, ctMixWide, ctKeysSrc, ctKeysDst, ctTag, ctAlt } from "./conntrack-hash";
export { conntrackHash } from "./conntrack-hash";
import {
  SLOT,
  BUCKET,
  O_BACKEND,
  O_SEEN,
  O_FLAGS,
  O_KEY,
  O_ALT,
  CONNTRACK_MAX_NODES,
  CONNTRACK_CROWDED_NODES,
  CONNTRACK_BATCH,
  BATCH_GROUP,
  H_CAPACITY,
  H_SIZE,
  H_INSERTS,
  H_EVICTIONS,
  H_EXPIRATIONS,
  H_BUCKETS,
  H_SEED,
  H_CURSOR,
  H_SLOTS,
  H_LAST_FLAGS,
  H_TOUCH,
  H_SCRATCH,
  H_NODES,
  H_BATCH,
  H_RESULTS,
  HEADER_BYTES,
  CONNTRACK_MIN_CAPACITY,
  CONNTRACK_MAX_CAPACITY,
  CONNTRACK_UPDATED,
  CONNTRACK_INSERTED,
  CONNTRACK_EVICTED,
  bucket1,
  bucket2,
  slotsOf,
  probe,
  findSlot,
  clearEntry,
  ageOf,
  firstFree,
} from "./conntrack-layout";
import {
  pushNode,
  oldestIn,
  placeByBfs,
} from "./conntrack-place";

/**
 * Reserves a table of `capacity` slots (rounded up to a multiple of 4) and returns its handle, or 0
 * when capacity is outside CONNTRACK_MIN_CAPACITY..CONNTRACK_MAX_CAPACITY. Called once per table,
 * off the hot path: this is the only conntrack call that may grow linear memory. `seed` keys the
 * flow hash so placements differ per table and per process.
 */
export function conntrackInit(capacity: u32, seed: u32): usize {
  if (capacity < CONNTRACK_MIN_CAPACITY || capacity > CONNTRACK_MAX_CAPACITY) return 0;
  const slotsCount = (capacity + 3) & ~3;
  const base = heap.alloc(HEADER_BYTES + SLOT - 1 + <usize>slotsCount * SLOT);
  const slots = (base + HEADER_BYTES + SLOT - 1) & ~(SLOT - 1);
  memory.fill(base, 0, slots - base + <usize>slotsCount * SLOT);
  store<u32>(base, slotsCount, H_CAPACITY);
  store<u32>(base, slotsCount >> 2, H_BUCKETS);
  store<u32>(base, seed, H_SEED);
  store<u32>(base, <u32>slots, H_SLOTS);
  return base;
}

/** Address of the table's 40-byte tuple scratch: the façade writes a key there before each call. */
export function conntrackKeyPtr(table: usize): usize {
  return table + H_SCRATCH;
}

/**
 * Looks up the tuple at keyPtr. On a hit, refreshes its last-seen time to nowMs, records its flags
 * (read back with conntrackStat(table, 7)) and returns its backend index; on a miss returns -1.
 */
export function conntrackLookup(table: usize, keyPtr: usize, nowMs: u32): i32 {
  const slot = findSlot(table, keyPtr);
  if (slot == 0) return -1;
  store<u32>(slot, nowMs, O_SEEN);
  store<u32>(table, load<u32>(slot, O_FLAGS), H_LAST_FLAGS);
  return load<i32>(slot, O_BACKEND);
}

/** Address of the table's batch region: CONNTRACK_BATCH (256) tuples of 40 bytes, back to back. */
export function conntrackBatchPtr(table: usize): usize {
  return table + H_BATCH;
}

/** Address of the batch results: one i32 per tuple (backend index or -1). */
export function conntrackResultsPtr(table: usize): usize {
  return table + H_RESULTS;
}

/**
 * Looks up the first `count` (at most 256) tuples of the batch region as conntrackLookup would,
 * writing each backend index or -1 to the results region; returns the number of hits. Lookups
 * go in groups of BATCH_GROUP: each group's bucket addresses are computed and all their slot
 * lines touched before any is probed, so the memory misses of a group overlap instead of queueing
 * one after another (Chen et al., "Improving hash join performance through prefetching", 2004).
 * The flags of hits are not recorded (lastFlags is left as it was).
 */
export function conntrackLookupBatch(table: usize, count: u32, nowMs: u32): u32 {
  if (count > CONNTRACK_BATCH) count = CONNTRACK_BATCH;
  const seed = load<u32>(table, H_SEED);
  const ks = ctKeysSrc(seed);
  const kd = ctKeysDst(seed);
  const buckets = load<u32>(table, H_BUCKETS);
  const slots = slotsOf(table);
  const keys = table + H_BATCH;
  const out = table + H_RESULTS;
  let hits: u32 = 0;
  let touched: u32 = 0;
  for (let g: u32 = 0; g < count; g += BATCH_GROUP) {
    const end = g + BATCH_GROUP < count ? g + BATCH_GROUP : count;
    // Stage 1: hash and touch every tag of both buckets; tags and bucket indices are parked in
    // the BFS node area, which lookups never use.
    for (let i = g; i < end; i++) {
      const mix = ctMixWide(keys + <usize>i * 40, seed, ks, kd);
      const tag = ctTag(mix);
      const b1 = bucket1(tag, buckets);
      const b2 = bucket2(ctAlt(mix), b1, buckets);
      const n = table + H_NODES + <usize>(i - g) * 12;
      store<u32>(n, tag);
      store<u32>(n, b1, 4);
      store<u32>(n, b2, 8);
      const p = slots + <usize>b1 * BUCKET;
      const q = slots + <usize>b2 * BUCKET;
      touched ^= load<u32>(p) ^ load<u32>(p, 64) ^ load<u32>(p, 128) ^ load<u32>(p, 192)
        ^ load<u32>(q) ^ load<u32>(q, 64) ^ load<u32>(q, 128) ^ load<u32>(q, 192);
    }
    // Stage 2: probe, now that the lines are (mostly) in cache.
    for (let i = g; i < end; i++) {
      const n = table + H_NODES + <usize>(i - g) * 12;
      const p = slots + <usize>load<u32>(n, 4) * BUCKET;
      const q = slots + <usize>load<u32>(n, 8) * BUCKET;
      const slot = probe(p, q, load<u32>(n), keys + <usize>i * 40);
      let backend: i32 = -1;
      if (slot != 0) {
        store<u32>(slot, nowMs, O_SEEN);
        backend = load<i32>(slot, O_BACKEND);
        hits++;
      }
      store<i32>(out + (<usize>i << 2), backend);
    }
  }
  // The touches must not be optimised away; their xor lands in a header word nobody reads.
  store<u32>(table, touched, H_TOUCH);
  return hits;
}

/** Removes the tuple at keyPtr; returns 1 when it was there, 0 otherwise. */
export function conntrackRemove(table: usize, keyPtr: usize): u32 {
  const slot = findSlot(table, keyPtr);
  if (slot == 0) return 0;
  clearEntry(slot);
  store<u32>(table, load<u32>(table, H_SIZE) - 1, H_SIZE);
  return 1;
}

/**
 * Inserts the tuple at keyPtr with `backend` (< 2^31), last seen at nowMs, and `flags`, or updates
 * them when the tuple is already there. Never fails for lack of room: with no free slot reachable
 * it evicts the least recently seen entry of its bounded window. Returns CONNTRACK_UPDATED,
 * CONNTRACK_INSERTED or CONNTRACK_EVICTED (inserted after evicting another flow).
 */
export function conntrackInsert(table: usize, keyPtr: usize, backend: u32, nowMs: u32, flags: u32): u32 {
  let slot = findSlot(table, keyPtr);
  let outcome = CONNTRACK_UPDATED;
  if (slot == 0) {
    const mix = ctMix(keyPtr, load<u32>(table, H_SEED));
    const tag = ctTag(mix);
    const alt = ctAlt(mix);
    const buckets = load<u32>(table, H_BUCKETS);
    const b1 = bucket1(tag, buckets);
    const p = slotsOf(table) + <usize>b1 * BUCKET;
    const q = slotsOf(table) + <usize>bucket2(alt, b1, buckets) * BUCKET;
    store<u32>(table, load<u32>(table, H_INSERTS) + 1, H_INSERTS);
    slot = firstFree(p);
    if (slot == 0) slot = firstFree(q);
    if (slot != 0) {
      store<u32>(table, load<u32>(table, H_SIZE) + 1, H_SIZE);
      outcome = CONNTRACK_INSERTED;
    } else {
      pushNode(table, 0, p, -1, 0);
      pushNode(table, 1, q, -1, 0);
      const evictionsBefore = load<u32>(table, H_EVICTIONS);
      const size = load<u32>(table, H_SIZE);
      const capacity = load<u32>(table, H_CAPACITY);
      if (size < capacity) {
        const crowded = <u64>size * 25 >= <u64>capacity * 24;
        slot = placeByBfs(table, nowMs, crowded ? CONNTRACK_CROWDED_NODES : CONNTRACK_MAX_NODES);
      } else {
        // Full: no free slot exists anywhere, so searching is pointless; evict within the 8 slots.
        slot = oldestIn(table, 2, nowMs);
        store<u32>(table, evictionsBefore + 1, H_EVICTIONS);
      }
      outcome = load<u32>(table, H_EVICTIONS) != evictionsBefore ? CONNTRACK_EVICTED : CONNTRACK_INSERTED;
    }
    store<u32>(slot, tag);
    store<u32>(slot, alt, O_ALT);
    v128.store(slot, v128.load(keyPtr), O_KEY);
    v128.store(slot, v128.load(keyPtr, 16), O_KEY + 16);
    store<u64>(slot, load<u64>(keyPtr, 32), O_KEY + 32);
  }
  store<u32>(slot, backend, O_BACKEND);
  store<u32>(slot, nowMs, O_SEEN);
  store<u32>(slot, flags, O_FLAGS);
  return outcome;
}

/**
 * Expires entries idle for `idleMs` or longer (nowMs - lastSeen >= idleMs), visiting at most
 * `maxVisits` slots (and at most the whole table) from a cursor kept between calls, so the data
 * plane can sweep a little at a time. Returns how many entries it expired.
 */
export function conntrackSweep(table: usize, nowMs: u32, idleMs: u32, maxVisits: u32): u32 {
  const capacity = load<u32>(table, H_CAPACITY);
  const slots = slotsOf(table);
  let cursor = load<u32>(table, H_CURSOR);
  const visits = maxVisits < capacity ? maxVisits : capacity;
  let expired: u32 = 0;
  for (let i: u32 = 0; i < visits; i++) {
    const slot = slots + <usize>cursor * SLOT;
    if (load<u32>(slot) != 0 && ageOf(slot, nowMs) >= idleMs) {
      clearEntry(slot);
      expired++;
    }
    cursor = cursor + 1 == capacity ? 0 : cursor + 1;
  }
  store<u32>(table, cursor, H_CURSOR);
  store<u32>(table, load<u32>(table, H_SIZE) - expired, H_SIZE);
  store<u32>(table, load<u32>(table, H_EXPIRATIONS) + expired, H_EXPIRATIONS);
  return expired;
}

/**
 * Visits every entry of `backend` (a full scan: about a millisecond per 100,000 slots, so call it
 * off the hot path) and applies `op`: 0 counts them, 1 ORs `flagBits` into their flags (e.g. marks
 * them draining), 2 removes them. Returns how many entries matched.
 */
export function conntrackForBackend(table: usize, backend: u32, op: u32, flagBits: u32): u32 {
  const slots = slotsOf(table);
  const end = slots + <usize>load<u32>(table, H_CAPACITY) * SLOT;
  let matched: u32 = 0;
  for (let slot = slots; slot < end; slot += SLOT) {
    if (load<u32>(slot) == 0 || load<u32>(slot, O_BACKEND) != backend) continue;
    matched++;
    if (op == 1) store<u32>(slot, load<u32>(slot, O_FLAGS) | flagBits, O_FLAGS);
    else if (op == 2) clearEntry(slot);
  }
  if (op == 2) store<u32>(table, load<u32>(table, H_SIZE) - matched, H_SIZE);
  return matched;
}

/**
 * One counter of the table: 0 capacity (slots), 1 size (live entries), 2 inserts (new entries
 * ever placed), 3 evictions, 4 expirations, 5 sweep cursor, 6 slots address, 7 flags of the last
 * lookup hit. Anything else returns 0.
 */
export function conntrackStat(table: usize, which: u32): u32 {
  if (which == 0) return load<u32>(table, H_CAPACITY);
  if (which == 1) return load<u32>(table, H_SIZE);
  if (which == 2) return load<u32>(table, H_INSERTS);
  if (which == 3) return load<u32>(table, H_EVICTIONS);
  if (which == 4) return load<u32>(table, H_EXPIRATIONS);
  if (which == 5) return load<u32>(table, H_CURSOR);
  if (which == 6) return load<u32>(table, H_SLOTS);
  if (which == 7) return load<u32>(table, H_LAST_FLAGS);
  return 0;
}
