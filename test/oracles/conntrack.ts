/**
 * Plain-TypeScript twin of assembly/conntrack.ts (and of its placement hash, conntrack-hash.ts, and
 * of hashTupleAt in assembly/hash.ts) working
 * on a Uint32Array with the very same slot layout: the differential tests compare its results,
 * counters and slot memory with the WASM table word for word, and the benchmark times it.
 * Keys are 10 u32 words (the 40-byte tuple) at `off` in a Uint32Array.
 */

/** u32 words per 64-byte slot, slots per bucket, buckets one insert may search. */
export const SLOT_WORDS = 16;
export const BUCKET_SLOTS = 4;
export const MAX_NODES = 512;
export const CROWDED_NODES = 16;

const W_TAG = 0, W_BACKEND = 1, W_SEEN = 2, W_FLAGS = 3, W_KEY = 4, W_ALT = 14, W_STAMP = 15, ENTRY_WORDS = 15;

// hashTupleAt's keys (assembly/hash.ts): NH over the ten words, then MurmurHash3's fmix64.
const KS = [0x243f6a89, 0x85a308d3, 0x13198a2f, 0x03707345];
const KD = [0xa4093823, 0x299f31d1, 0x082efa99, 0xec4e6c89];
const KP0 = 0xb7e15163, KP1 = 0x9e3779b9;

/** High 32 bits of the 64-bit product of two u32s, exactly (every term stays below 2^53). */
function mulHi(a: number, b: number): number {
  const a1 = a >>> 16, a0 = a & 0xffff, b1 = b >>> 16, b0 = b & 0xffff;
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  return (a1 * b1 + Math.floor(mid / 65536)) >>> 0;
}

let mulOutHi = 0;
/** (hi,lo) × (ch,cl) mod 2^64; returns the low word and leaves the high word in mulOutHi. */
function mul64(hi: number, lo: number, ch: number, cl: number): number {
  mulOutHi = (mulHi(lo, cl) + Math.imul(hi, cl) + Math.imul(lo, ch)) >>> 0;
  return Math.imul(lo, cl) >>> 0;
}

/** hashTupleAt(ptr, seed) of the tuple in words[off..off+10). */
export function flowHash(words: Uint32Array, off: number, seed: number): number {
  let loSum = 0, hiSum = 0;
  for (let i = 0; i < 4; i++) {
    const s = (words[off + i]! + ((KS[i]! ^ seed) >>> 0)) >>> 0;
    const d = (words[off + 4 + i]! + ((KD[i]! ^ seed) >>> 0)) >>> 0;
    loSum += Math.imul(s, d) >>> 0;
    hiSum += mulHi(s, d);
  }
  const ports = (words[off + 8]! + ((KP0 ^ seed) >>> 0)) >>> 0;
  const proto = (words[off + 9]! + ((KP1 ^ seed) >>> 0)) >>> 0;
  loSum += Math.imul(ports, proto) >>> 0;
  hiSum += mulHi(ports, proto);
  let hi = (hiSum + Math.floor(loSum / 4294967296)) >>> 0;
  let lo = (loSum >>> 0) ^ (hi >>> 1);
  lo = mul64(hi, lo >>> 0, 0xff51afd7, 0xed558ccd);
  hi = mulOutHi;
  lo = mul64(hi, (lo ^ (hi >>> 1)) >>> 0, 0xc4ceb9fe, 0x1a85ec53);
  return (lo ^ (mulOutHi >>> 1)) >>> 0;
}

let altOut = 0;
/** The `alt` half of the last placementTag (kept aside so the hot loops allocate nothing). */
export function placementAlt(): number {
  return altOut;
}

/** The placement hash's tag (assembly/conntrack-hash.ts): NH, xor-folded, then two multiplies. */
export function placementTag(words: Uint32Array, off: number, seed: number): number {
  let loSum = 0, hiSum = 0;
  const add = (a: number, b: number) => {
    loSum += Math.imul(a, b) >>> 0;
    hiSum += mulHi(a, b);
  };
  for (let i = 0; i < 4; i++) add((words[off + i]! + ((KS[i]! ^ seed) >>> 0)) >>> 0, (words[off + 4 + i]! + ((KD[i]! ^ seed) >>> 0)) >>> 0);
  add((words[off + 8]! + ((KP0 ^ seed) >>> 0)) >>> 0, (words[off + 9]! + ((KP1 ^ seed) >>> 0)) >>> 0);
  const hi = (hiSum + Math.floor(loSum / 4294967296)) >>> 0;
  const lo = ((loSum >>> 0) ^ hi) >>> 0;
  mul64(hi, lo, 0x9e3779b1, 0x85ebca87);
  const tag = (mulOutHi | 1) >>> 0;
  mul64(hi, lo, 0xc2b2ae3d, 0x27d4eb4f);
  altOut = mulOutHi;
  return tag;
}

/** floor(x * n / 2^32) for u32 x and n < 2^21, exactly. */
function fastrange(x: number, n: number): number {
  return Math.floor(((x >>> 16) * n + Math.floor((x & 0xffff) * n / 65536)) / 65536);
}

function bucket2(alt: number, b1: number, buckets: number): number {
  const b2 = b1 + 1 + fastrange(alt, buckets - 1);
  return b2 >= buckets ? b2 - buckets : b2;
}

/** The oracle table: same capacity rounding, placement, BFS, eviction and sweep as the WASM one. */
export class ConntrackOracle {
  readonly capacity: number;
  readonly buckets: number;
  /** Slot memory, word-for-word what the WASM table holds from its slots address. */
  readonly mem: Uint32Array;
  size = 0;
  inserts = 0;
  evictions = 0;
  expirations = 0;
  cursor = 0;
  lastFlags = 0;
  private gen = 0;
  private readonly nodes = new Int32Array(MAX_NODES * 3);
  private victimNode = 0;

  constructor(capacity: number, readonly seed: number) {
    this.capacity = (capacity + 3) & ~3;
    this.buckets = this.capacity / BUCKET_SLOTS;
    this.mem = new Uint32Array(this.capacity * SLOT_WORDS);
  }

  /** Slot index holding the key, or -1; candidates in the WASM order (bucket 1, then bucket 2). */
  find(key: Uint32Array, off: number): number {
    const tag = placementTag(key, off, this.seed), alt = placementAlt();
    const b1 = fastrange(tag, this.buckets);
    const b2 = bucket2(alt, b1, this.buckets);
    const m = this.mem;
    for (let i = 0; i < 8; i++) {
      const slot = (i < 4 ? b1 : b2) * BUCKET_SLOTS + (i & 3);
      const w = slot * SLOT_WORDS;
      if (m[w + W_TAG] !== tag) continue;
      let k = 0;
      while (k < 10 && m[w + W_KEY + k] === key[off + k]) k++;
      if (k === 10) return slot;
    }
    return -1;
  }

  lookup(key: Uint32Array, off: number, nowMs: number): number {
    const slot = this.find(key, off);
    if (slot < 0) return -1;
    const w = slot * SLOT_WORDS;
    this.mem[w + W_SEEN] = nowMs;
    this.lastFlags = this.mem[w + W_FLAGS]!;
    return this.mem[w + W_BACKEND]! | 0;
  }

  /** `count` lookups of consecutive keys from `off`, backend or -1 into out; flags not recorded. */
  lookupMany(keys: Uint32Array, off: number, count: number, nowMs: number, out: Int32Array): number {
    let hits = 0;
    for (let i = 0; i < count; i++) {
      const slot = this.find(keys, off + i * 10);
      out[i] = slot < 0 ? -1 : this.mem[slot * SLOT_WORDS + W_BACKEND]! | 0;
      if (slot >= 0) {
        this.mem[slot * SLOT_WORDS + W_SEEN] = nowMs;
        hits++;
      }
    }
    return hits;
  }

  remove(key: Uint32Array, off: number): boolean {
    const slot = this.find(key, off);
    if (slot < 0) return false;
    this.mem.fill(0, slot * SLOT_WORDS, slot * SLOT_WORDS + ENTRY_WORDS);
    this.size--;
    return true;
  }

  /** 0 updated, 1 inserted, 2 inserted after evicting the least recently seen of the window. */
  insert(key: Uint32Array, off: number, backend: number, nowMs: number, flags: number): number {
    let slot = this.find(key, off);
    let outcome = 0;
    if (slot < 0) {
      const tag = placementTag(key, off, this.seed), alt = placementAlt();
      const b1 = fastrange(tag, this.buckets);
      const b2 = bucket2(alt, b1, this.buckets);
      this.inserts++;
      slot = this.firstFree(b1);
      if (slot < 0) slot = this.firstFree(b2);
      if (slot >= 0) {
        this.size++;
        outcome = 1;
      } else {
        this.pushNode(0, b1, -1, 0);
        this.pushNode(1, b2, -1, 0);
        const before = this.evictions;
        const crowded = this.size * 25 >= this.capacity * 24;
        if (this.size < this.capacity) slot = this.placeByBfs(nowMs, crowded ? CROWDED_NODES : MAX_NODES);
        else {
          slot = this.oldestIn(2, nowMs);
          this.evictions++;
        }
        outcome = this.evictions !== before ? 2 : 1;
      }
      const w = slot * SLOT_WORDS;
      this.mem[w + W_TAG] = tag;
      this.mem[w + W_ALT] = alt;
      for (let k = 0; k < 10; k++) this.mem[w + W_KEY + k] = key[off + k]!;
    }
    const w = slot * SLOT_WORDS;
    this.mem[w + W_BACKEND] = backend;
    this.mem[w + W_SEEN] = nowMs;
    this.mem[w + W_FLAGS] = flags;
    return outcome;
  }

  sweep(nowMs: number, idleMs: number, maxVisits: number): number {
    const visits = Math.min(maxVisits, this.capacity);
    let expired = 0;
    for (let i = 0; i < visits; i++) {
      const w = this.cursor * SLOT_WORDS;
      if (this.mem[w + W_TAG] !== 0 && ((nowMs - this.mem[w + W_SEEN]!) >>> 0) >= idleMs) {
        this.mem.fill(0, w, w + ENTRY_WORDS);
        expired++;
      }
      this.cursor = this.cursor + 1 === this.capacity ? 0 : this.cursor + 1;
    }
    this.size -= expired;
    this.expirations += expired;
    return expired;
  }

  /** op 0 counts, 1 ORs flagBits into flags, 2 removes; returns how many entries of backend. */
  forBackend(backend: number, op: number, flagBits: number): number {
    let matched = 0;
    for (let w = 0; w < this.mem.length; w += SLOT_WORDS) {
      if (this.mem[w + W_TAG] === 0 || this.mem[w + W_BACKEND] !== backend) continue;
      matched++;
      if (op === 1) this.mem[w + W_FLAGS] = (this.mem[w + W_FLAGS]! | flagBits) >>> 0;
      else if (op === 2) this.mem.fill(0, w, w + ENTRY_WORDS);
    }
    if (op === 2) this.size -= matched;
    return matched;
  }

  private firstFree(bucket: number): number {
    for (let k = 0; k < BUCKET_SLOTS; k++) {
      const slot = bucket * BUCKET_SLOTS + k;
      if (this.mem[slot * SLOT_WORDS + W_TAG] === 0) return slot;
    }
    return -1;
  }

  private pushNode(i: number, bucket: number, parent: number, fromSlot: number): void {
    this.nodes[i * 3] = bucket;
    this.nodes[i * 3 + 1] = parent;
    this.nodes[i * 3 + 2] = fromSlot;
  }

  private shiftChain(node: number, dst: number): number {
    while (this.nodes[node * 3 + 1]! >= 0) {
      const src = this.nodes[node * 3 + 2]!;
      this.mem.copyWithin(dst * SLOT_WORDS, src * SLOT_WORDS, src * SLOT_WORDS + ENTRY_WORDS);
      dst = src;
      node = this.nodes[node * 3 + 1]!;
    }
    return dst;
  }

  private oldestIn(count: number, nowMs: number): number {
    let best = -1, bestAge = 0;
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < BUCKET_SLOTS; k++) {
        const slot = this.nodes[i * 3]! * BUCKET_SLOTS + k;
        const age = (nowMs - this.mem[slot * SLOT_WORDS + W_SEEN]!) >>> 0;
        if (best < 0 || age > bestAge) {
          best = slot;
          bestAge = age;
          this.victimNode = i;
        }
      }
    }
    return best;
  }

  private stamp(bucket: number): number {
    return bucket * BUCKET_SLOTS * SLOT_WORDS + W_STAMP;
  }

  private placeByBfs(nowMs: number, budget: number): number {
    this.gen = (this.gen + 1) >>> 0 || 1;
    const gen = this.gen;
    this.mem[this.stamp(this.nodes[0]!)] = gen;
    this.mem[this.stamp(this.nodes[3]!)] = gen;
    let count = 2;
    for (let q = 0; q < count; q++) {
      const b = this.nodes[q * 3]!;
      for (let k = 0; k < BUCKET_SLOTS && count < budget; k++) {
        const from = b * BUCKET_SLOTS + k;
        const tag = this.mem[from * SLOT_WORDS + W_TAG]!;
        const c1 = fastrange(tag, this.buckets);
        const alt = c1 === b ? bucket2(this.mem[from * SLOT_WORDS + W_ALT]!, c1, this.buckets) : c1;
        if (this.mem[this.stamp(alt)] === gen) continue;
        this.mem[this.stamp(alt)] = gen;
        this.pushNode(count, alt, q, from);
        count++;
        const free = this.firstFree(alt);
        if (free >= 0) {
          this.size++;
          return this.shiftChain(count - 1, free);
        }
      }
    }
    const victim = this.oldestIn(count, nowMs);
    this.evictions++;
    return this.shiftChain(this.victimNode, victim);
  }
}
