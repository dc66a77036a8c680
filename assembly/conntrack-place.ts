// Insert placement for the conntrack table: the breadth-first search for a chain of moves that
// frees a slot, and the bounded eviction window when none does. Called by conntrackInsert only.
import {
  SLOT,
  BUCKET,
  ENTRY_BYTES,
  O_ALT,
  O_STAMP,
  H_SIZE,
  H_EVICTIONS,
  H_BUCKETS,
  H_GEN,
  H_NODES,
  bucket1,
  bucket2,
  slotsOf,
  ageOf,
  firstFree,
} from "./conntrack-layout";

// @ts-ignore: decorator
@inline export function nodeAt(table: usize, i: u32): usize {
  return table + H_NODES + <usize>i * 12;
}

// @ts-ignore: decorator
@inline export function pushNode(table: usize, i: u32, bucketPtr: usize, parent: i32, fromSlot: usize): void {
  const n = nodeAt(table, i);
  store<u32>(n, <u32>bucketPtr);
  store<i32>(n, parent, 4);
  store<u32>(n, <u32>fromSlot, 8);
}

/**
 * Moves the entries along the BFS path ending at node `node` so that `dst` (a slot of that node's
 * bucket, free or evicted) is filled by the entry from its parent, and so on up to a root bucket;
 * returns the root slot left free for the new entry.
 */
export function shiftChain(table: usize, node: u32, dst: usize): usize {
  let n = nodeAt(table, node);
  let parent = load<i32>(n, 4);
  while (parent >= 0) {
    const src = <usize>load<u32>(n, 8);
    memory.copy(dst, src, ENTRY_BYTES);
    dst = src;
    n = nodeAt(table, <u32>parent);
    parent = load<i32>(n, 4);
  }
  return dst;
}

/** The least recently seen slot in nodes [0, count); ties go to the earliest. Sets `victimNode`. */
let victimNode: u32 = 0;
export function oldestIn(table: usize, count: u32, nowMs: u32): usize {
  let best: usize = 0;
  let bestAge: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const b = <usize>load<u32>(nodeAt(table, i));
    for (let k: usize = 0; k < BUCKET; k += SLOT) {
      const age = ageOf(b + k, nowMs);
      if (best == 0 || age > bestAge) {
        best = b + k;
        bestAge = age;
        victimNode = i;
      }
    }
  }
  return best;
}

/**
 * Breadth-first search from the two full buckets (nodes 0 and 1) for a free slot reachable by a
 * chain of moves; visits at most `budget` buckets, stamping each so none is seen twice.
 * Returns the slot that will take the new entry: a freed root slot, or, when no free slot was
 * reached, the root end of the chain to the least recently seen slot visited (then evicted).
 */
export function placeByBfs(table: usize, nowMs: u32, budget: u32): usize {
  let gen = load<u32>(table, H_GEN) + 1;
  if (gen == 0) gen = 1;
  store<u32>(table, gen, H_GEN);
  const slots = slotsOf(table);
  const buckets = load<u32>(table, H_BUCKETS);
  store<u32>(<usize>load<u32>(nodeAt(table, 0)), gen, O_STAMP);
  store<u32>(<usize>load<u32>(nodeAt(table, 1)), gen, O_STAMP);
  let count: u32 = 2;
  for (let q: u32 = 0; q < count; q++) {
    const b = <usize>load<u32>(nodeAt(table, q));
    const bIndex = <u32>((b - slots) / BUCKET);
    for (let k: usize = 0; k < BUCKET; k += SLOT) {
      if (count == budget) break;
      const tag = load<u32>(b + k);
      const c1 = bucket1(tag, buckets);
      const alt = c1 == bIndex ? bucket2(load<u32>(b + k, O_ALT), c1, buckets) : c1;
      const altPtr = slots + <usize>alt * BUCKET;
      if (load<u32>(altPtr, O_STAMP) == gen) continue;
      store<u32>(altPtr, gen, O_STAMP);
      pushNode(table, count, altPtr, <i32>q, b + k);
      count++;
      const free = firstFree(altPtr);
      if (free != 0) {
        store<u32>(table, load<u32>(table, H_SIZE) + 1, H_SIZE);
        return shiftChain(table, count - 1, free);
      }
    }
  }
  const victim = oldestIn(table, count, nowMs);
  store<u32>(table, load<u32>(table, H_EVICTIONS) + 1, H_EVICTIONS);
  return shiftChain(table, victimNode, victim);
}
