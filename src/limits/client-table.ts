/**
 * Open connections per client address, for `max_connections_per_client` (nginx's `limit_conn`,
 * HAProxy's `conn_cur` in a stick-table). A fixed-size open-addressing table keyed by the 16-byte
 * address (src/net's form: IPv4 mapped), linear probing, and backward-shift deletion: an entry is
 * freed when its count drops to 0 and the probe runs behind it close up, so no tombstone is ever
 * left. Churn through any number of addresses (spoofed-looking or not) therefore cannot clog or
 * fill the table: it holds exactly the clients that have a connection open right now.
 *
 * A full table (more distinct clients with an open connection than `maxTracked`) admits a new
 * client untracked rather than refusing it, as HAProxy does when its stick-table cannot take an
 * entry: refusing would let whoever holds many addresses lock out every new client, while the
 * listener's own `max_connections` still caps the total. Callers size the table above that cap
 * where there is one, so for them a full table cannot happen.
 *
 * Layout: everything lives in one ArrayBuffer as u32 words, so the table can move into a
 * SharedArrayBuffer shared by worker threads unchanged: words 0-3 are the header (capacity,
 * entries in use, hash seed, and a lock word reserved for Atomics), then 5 words per slot: the
 * address as 4 big-endian words and the count (0 = empty). Shared between threads, each operation
 * would take the lock word with Atomics.compareExchange around the same code (a probe is short).
 */

const HEADER_WORDS = 4;
const SLOT_WORDS = 5;
const H_CAPACITY = 0;
const H_USED = 1;
const H_SEED = 2;

/** What `acquire` did. */
export const enum ClientAdmit {
  /** Counted: call `release` once when the connection ends. */
  Counted = 0,
  /** The client is at its limit: not counted, refuse the connection. */
  OverLimit = 1,
  /** The table is full: not counted (no `release`), the connection may go on. */
  Untracked = 2,
}

/** Largest load before new clients go untracked: 3/4 keeps linear probe runs short. */
function maxTrackedOf(capacity: number): number {
  return Math.floor((capacity * 3) / 4);
}

/** The power of two (≥ 16) whose 3/4 holds `clients`. */
export function clientTableCapacity(clients: number): number {
  let c = 16;
  while (maxTrackedOf(c) < clients) c *= 2;
  return c;
}

export class ClientConnTable {
  readonly words: Uint32Array;
  readonly capacity: number;
  readonly maxTracked: number;
  private readonly mask: number;
  private readonly key = new Uint32Array(4);

  /** Bytes needed for `capacity` slots (a power of two). */
  static bytesFor(capacity: number): number {
    return (HEADER_WORDS + capacity * SLOT_WORDS) * 4;
  }

  /**
   * A table of `capacity` slots (a power of two) in `buffer` (a fresh ArrayBuffer by default; a
   * buffer that already holds a table of this capacity is adopted as it is).
   */
  constructor(capacity: number, buffer: ArrayBufferLike = new ArrayBuffer(ClientConnTable.bytesFor(capacity)), seed = randomSeed()) {
    if (capacity < 16 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`capacity ${capacity} is not a power of two >= 16`);
    this.words = new Uint32Array(buffer, 0, HEADER_WORDS + capacity * SLOT_WORDS);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxTracked = maxTrackedOf(capacity);
    if (this.words[H_CAPACITY] === 0) {
      this.words[H_CAPACITY] = capacity;
      this.words[H_SEED] = seed;
    }
  }

  /** Distinct clients with at least one counted connection. */
  get used(): number {
    return this.words[H_USED]!;
  }

  /** Counts one more connection of `ip16` unless it already has `limit` (see ClientAdmit). */
  acquire(ip16: Uint8Array, limit: number): ClientAdmit {
    const slot = this.find(ip16);
    const w = this.words;
    if (slot >= 0) {
      const at = HEADER_WORDS + slot * SLOT_WORDS + 4;
      if (w[at]! >= limit) return ClientAdmit.OverLimit;
      w[at]!++;
      return ClientAdmit.Counted;
    }
    if (limit < 1) return ClientAdmit.OverLimit;
    if (w[H_USED]! >= this.maxTracked) return ClientAdmit.Untracked;
    const free = HEADER_WORDS + ~slot * SLOT_WORDS;
    w.set(this.key, free);
    w[free + 4] = 1;
    w[H_USED]!++;
    return ClientAdmit.Counted;
  }

  /** Gives back one connection counted by `acquire`; the entry is freed when its count reaches 0. */
  release(ip16: Uint8Array): void {
    const slot = this.find(ip16);
    if (slot < 0) return;
    const at = HEADER_WORDS + slot * SLOT_WORDS + 4;
    if (--this.words[at]! === 0) this.remove(slot);
  }

  /** Open connections counted for `ip16`. */
  count(ip16: Uint8Array): number {
    const slot = this.find(ip16);
    return slot < 0 ? 0 : this.words[HEADER_WORDS + slot * SLOT_WORDS + 4]!;
  }

  /** The slot holding `ip16` (≥ 0), or ~(the empty slot where it would go). Loads `this.key`. */
  private find(ip16: Uint8Array): number {
    const k = this.key;
    for (let i = 0; i < 4; i++) k[i] = ((ip16[4 * i]! << 24) | (ip16[4 * i + 1]! << 16) | (ip16[4 * i + 2]! << 8) | ip16[4 * i + 3]!) >>> 0;
    const w = this.words;
    for (let s = this.home(k[0]!, k[1]!, k[2]!, k[3]!); ; s = (s + 1) & this.mask) {
      const o = HEADER_WORDS + s * SLOT_WORDS;
      if (w[o + 4] === 0) return ~s;
      if (w[o] === k[0] && w[o + 1] === k[1] && w[o + 2] === k[2] && w[o + 3] === k[3]) return s;
    }
  }

  /** Empties `slot` and shifts back the entries after it that probed past it (Knuth's Algorithm R). */
  private remove(slot: number): void {
    const w = this.words;
    let hole = slot;
    for (let s = (slot + 1) & this.mask; ; s = (s + 1) & this.mask) {
      const o = HEADER_WORDS + s * SLOT_WORDS;
      if (w[o + 4] === 0) break;
      const home = this.home(w[o]!, w[o + 1]!, w[o + 2]!, w[o + 3]!);
      // The entry at s may fill the hole unless its home lies cyclically in (hole, s].
      if (((s - home) & this.mask) >= ((s - hole) & this.mask)) {
        w.copyWithin(HEADER_WORDS + hole * SLOT_WORDS, o, o + SLOT_WORDS);
        hole = s;
      }
    }
    w[HEADER_WORDS + hole * SLOT_WORDS + 4] = 0;
    w[H_USED]!--;
  }

  /** murmur3's finalizer over the seeded words: a client cannot aim its addresses at one run. */
  private home(a: number, b: number, c: number, d: number): number {
    let h = this.words[H_SEED]!;
    h = Math.imul(h ^ a, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ b;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    h = Math.imul(h ^ c, 0xcc9e2d51) ^ d;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
