/**
 * A fixed-size table of per-key state shared by every worker of a node (rate-limit buckets and
 * connection counts per client): entries of `width` Float64 values, found by a 64-bit key (two
 * Int32 words, client-key.ts hashes an address into them). Set-associative: a key lives in one
 * bucket of WAYS entries, each bucket behind its own spin lock, so all reads and writes of one
 * entry happen under that lock (a few dozen nanoseconds) and two workers can never create the same
 * key twice. A full bucket reuses its least recently used entry that the policy allows to go
 * ("lru": any; "idle": only one whose first value is 0, e.g. a client with no connection open), so
 * a flood of new (possibly spoofed) clients costs bounded memory and never grows the table.
 *
 * Use: `const e = t.lock(k1, k2, now)`, read and write `t.values[e * t.width + i]` (all zero when
 * `t.fresh`), then `t.unlock(e)`; nothing else may happen in between. `lock` returns -1 when the
 * key has no entry and none may be taken (policy "idle", bucket full of live entries).
 */

/** Entries per bucket: one cache-line-sized group of keys scanned under one lock. */
export const WAYS = 8;

/** Which entries a full bucket may give to a new key. */
export type EvictPolicy = "lru" | "idle";

/** What `attach` needs (post it to a worker; the buffer is shared, not copied). */
export interface KeyTableLayout {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  readonly buckets: number;
  readonly width: number;
  readonly policy: EvictPolicy;
}

/** A lock held this long (ms) belonged to a worker that died inside it: it is taken over. */
const STALE_LOCK_MS = 50;

function bytesFor(buckets: number, width: number): { keys: number; used: number; values: number; total: number } {
  const entries = buckets * WAYS;
  const keys = 4 * buckets; // after the locks
  const used = align8(keys + 8 * entries);
  const values = used + 8 * entries;
  return { keys, used, values, total: values + 8 * entries * width };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

export class KeyTable {
  readonly width: number;
  /** Per entry: `width` values at entry × width. */
  readonly values: Float64Array;
  /** Set by `lock`: the entry was just created (its values are zero). */
  fresh = false;
  readonly #layout: KeyTableLayout;
  readonly #locks: Int32Array;
  /** Two words per entry; (0, 0) = empty. */
  readonly #keys: Int32Array;
  /** Last use (ms) per entry, for the LRU choice. */
  readonly #used: Float64Array;
  readonly #mask: number;
  readonly #idleOnly: boolean;

  private constructor(layout: KeyTableLayout) {
    const b = bytesFor(layout.buckets, layout.width);
    this.#layout = layout;
    this.width = layout.width;
    this.#locks = new Int32Array(layout.buffer, 0, layout.buckets);
    this.#keys = new Int32Array(layout.buffer, b.keys, 2 * layout.buckets * WAYS);
    this.#used = new Float64Array(layout.buffer, b.used, layout.buckets * WAYS);
    this.values = new Float64Array(layout.buffer, b.values, layout.buckets * WAYS * layout.width);
    this.#mask = layout.buckets - 1;
    this.#idleOnly = layout.policy === "idle";
  }

  /**
   * A table of at least `entries` entries (rounded up to a power of two of buckets) of `width`
   * values each; `shared` false makes a private one for a single thread.
   */
  static create(entries: number, width: number, policy: EvictPolicy, shared = true): KeyTable {
    let buckets = 1;
    while (buckets * WAYS < entries) buckets <<= 1;
    const total = bytesFor(buckets, width).total;
    const buffer = shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total);
    return new KeyTable({ buffer, buckets, width, policy });
  }

  /** Attaches to a table another thread created. */
  static attach(layout: KeyTableLayout): KeyTable {
    return new KeyTable(layout);
  }

  layout(): KeyTableLayout {
    return this.#layout;
  }

  /** Entries in all. */
  get size(): number {
    return this.#used.length;
  }

  /**
   * Locks the bucket of key (k1, k2) and returns its entry, creating it (values zeroed,
   * `fresh` true) when absent; -1 (nothing locked) when it is absent and no entry may be taken, or
   * when `create` is false.
   */
  lock(k1: number, k2: number, nowMs: number, create = true): number {
    if ((k1 | k2) === 0) k1 = 1; // (0, 0) marks an empty entry
    const b = (k1 ^ (k2 >>> 7)) & this.#mask;
    this.#acquire(b);
    const keys = this.#keys, used = this.#used;
    const first = b * WAYS;
    let empty = -1, oldest = -1;
    for (let e = first; e < first + WAYS; e++) {
      const a = keys[2 * e]!, c = keys[2 * e + 1]!;
      if (a === k1 && c === k2) {
        used[e] = nowMs;
        this.fresh = false;
        return e;
      }
      if ((a | c) === 0) {
        if (empty < 0) empty = e;
      } else if (this.#evictable(e) && (oldest < 0 || used[e]! < used[oldest]!)) {
        oldest = e;
      }
    }
    const victim = empty >= 0 ? empty : oldest;
    if (victim < 0 || !create) {
      Atomics.store(this.#locks, b, 0);
      return -1;
    }
    keys[2 * victim] = k1;
    keys[2 * victim + 1] = k2;
    used[victim] = nowMs;
    this.values.fill(0, victim * this.width, (victim + 1) * this.width);
    this.fresh = true;
    return victim;
  }

  /** Unlocks the bucket of entry `e` (from `lock`). */
  unlock(e: number): void {
    Atomics.store(this.#locks, (e / WAYS) | 0, 0);
  }

  /** Locks the bucket of entry `e` whatever its key (a sweep over every entry; unlock with `unlock(e)`). */
  lockAt(e: number): void {
    this.#acquire((e / WAYS) | 0);
  }

  /** Entries holding a key now (a scan: for status and tests, not the hot path). */
  count(): number {
    let n = 0;
    for (let e = 0; e < this.#used.length; e++) if ((this.#keys[2 * e]! | this.#keys[2 * e + 1]!) !== 0) n++;
    return n;
  }

  #evictable(e: number): boolean {
    return !this.#idleOnly || this.values[e * this.width] === 0;
  }

  #acquire(b: number): void {
    const locks = this.#locks;
    if (Atomics.compareExchange(locks, b, 0, 1) === 0) return;
    let since = 0;
    for (let spins = 1; ; spins++) {
      if (Atomics.compareExchange(locks, b, 0, 1) === 0) return;
      if ((spins & 0xffff) !== 0) continue;
      const now = Date.now();
      if (since === 0) since = now;
      else if (now - since > STALE_LOCK_MS) {
        // Whoever holds it has not let go for 50 ms: a worker that died inside (terminated).
        Atomics.store(locks, b, 1);
        return;
      }
    }
  }
}
