/**
 * Typed façade over the 5-tuple connection-tracking table (assembly/conntrack.ts). One `ConnTrack`
 * per L4 listener: a fixed number of 64-byte slots reserved in linear memory when it is built and
 * never grown, keyed by the 40-byte tuple (src/wasm/tuple.ts), holding a backend index, a last-seen
 * time and flags. A lookup reads the eight slot lines of its two buckets at once (one DRAM round
 * trip; a hit goes on when its own line lands: about 1.15x one dependent read at 1,000,000 flows, issue
 * 17); nothing here allocates after construction.
 * Time is always passed in (any integer millisecond clock; it is taken mod 2^32).
 *
 * Why not one line a lookup: a flow is 49 bytes of information (the 37 meaningful bytes of its
 * tuple, backend, last seen, flags), so an exact entry needs a 64-byte line to itself, and
 * 1,000,000 flows in 64 MiB fill 95% of the lines. A flow's line could be fixed by its hash for
 * at most ~64% of flows at that load (balls into bins: 1 - e^-0.95 of the lines are ever chosen),
 * so the rest would pay a second round trip; two buckets of four lines read together (blocked
 * cuckoo) is what places every flow with one round trip. Two entries a line would need the
 * tuple stored in 20 bytes: only by interning destinations or dropping exactness.
 */
import { LbError } from "../errors.ts";
import { core, type CoreExports } from "./core.ts";
import { adviseHugePages } from "./huge-pages.ts";

interface ConntrackExports {
  conntrackInit(capacity: number, seed: number): number;
  conntrackKeyPtr(table: number): number;
  conntrackLookup(table: number, keyPtr: number, nowMs: number): number;
  conntrackInsert(table: number, keyPtr: number, backend: number, nowMs: number, flags: number): number;
  conntrackRemove(table: number, keyPtr: number): number;
  conntrackSweep(table: number, nowMs: number, idleMs: number, maxVisits: number): number;
  conntrackForBackend(table: number, backend: number, op: number, flagBits: number): number;
  conntrackStat(table: number, which: number): number;
  conntrackBatchPtr(table: number): number;
  conntrackResultsPtr(table: number): number;
  conntrackLookupBatch(table: number, count: number, nowMs: number): number;
}

/** Smallest and largest capacities (slots) a table accepts; 2^23 slots take 512 MiB. */
export const CONNTRACK_MIN_CAPACITY = 8;
export const CONNTRACK_MAX_CAPACITY = 1 << 23;
/** Most tuples one batch lookup takes. */
export const CONNTRACK_BATCH = 256;
/** Bytes of linear memory per slot: one cache line. */
export const CONNTRACK_SLOT_BYTES = 64;
/** Flag bit the data plane uses for "this flow's backend is draining"; other bits are free. */
export const CONNTRACK_FLAG_DRAINING = 1;

/** What `insert` did: updated an existing flow, placed a new one, or placed it by evicting another. */
export const InsertOutcome = { UPDATED: 0, INSERTED: 1, EVICTED: 2 } as const;
export type InsertOutcome = (typeof InsertOutcome)[keyof typeof InsertOutcome];

/** Counters of one table. `inserts` counts new flows placed (updates are not counted). */
export interface ConnTrackStats {
  size: number;
  capacity: number;
  inserts: number;
  evictions: number;
  expirations: number;
}

export interface ConnTrackOptions {
  /** Keys the flow hash (placement); give each process a random one against hash flooding. */
  seed?: number;
  /** The core instance to live in; defaults to the process-wide `core()`. */
  core?: CoreExports;
}

function checkU32(what: string, v: number, max = 0xffffffff): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new LbError("INVALID_ARGUMENT", `conntrack: ${what} must be an integer in 0..${max}, got ${v}`);
  }
  return v;
}

function checkTuple(tuple: Uint8Array): void {
  if (tuple.length !== 40) throw new LbError("INVALID_ARGUMENT", `conntrack: a tuple is 40 bytes, got ${tuple.length}`);
}

/**
 * A connection-tracking table. Not thread-safe (one per worker, like everything in WASM).
 *
 * Capacity is the number of slots (rounded up to a multiple of 4), 64 bytes each. Up to 96% load
 * a new flow almost always finds a free slot (searching up to 512 buckets when it must); past
 * that an insert searches 16 buckets and, finding no room, evicts the least recently seen flow
 * among them instead of failing (InsertOutcome.EVICTED). Size a table ~5% above the peak number
 * of flows: 1,048,000 slots (64 MiB) hold 1,000,000 flows without an eviction.
 *
 * Hot loops can skip the tuple copy: encode the tuple straight into `memory()` at `keyOffset`
 * (e.g. `encodeTuple(ct.memory(), ct.keyOffset, ...)`) and call `lookupKey`/`insertKey`/`removeKey`.
 * A lookup from JS waits for one DRAM round trip of eight lines; many flows at once (a burst of
 * datagrams) go faster through `lookupMany` or, zero-copy, tuples at `batchOffset` +
 * `lookupBatch` + `results()`, which overlap the misses of up to 16 lookups.
 */
export class ConnTrack {
  /** Slots in the table (the most flows it can hold). */
  readonly capacity: number;
  /** Byte offset in linear memory of this table's 40-byte tuple scratch. */
  readonly keyOffset: number;
  /** Byte offset of the batch region: CONNTRACK_BATCH tuples of 40 bytes, back to back. */
  readonly batchOffset: number;
  /** Byte offset of the batch results: one i32 per tuple. */
  readonly resultsOffset: number;
  private readonly ex: ConntrackExports;
  private readonly mem: WebAssembly.Memory;
  private readonly table: number;
  private u8 = new Uint8Array(0);
  private i32 = new Int32Array(0);

  /** Reserves the table; throws LbError INVALID_ARGUMENT for a capacity out of range. */
  constructor(capacity: number, opts: ConnTrackOptions = {}) {
    checkU32("capacity", capacity, CONNTRACK_MAX_CAPACITY);
    const inst = opts.core ?? core();
    this.ex = inst as unknown as ConntrackExports;
    this.mem = inst.memory;
    // Before init first touches them: 64-byte slots plus the header's scratch and batch regions.
    adviseHugePages(this.mem, capacity * CONNTRACK_SLOT_BYTES + 64 * 1024);
    try {
      this.table = this.ex.conntrackInit(capacity, checkU32("seed", opts.seed ?? 0)) >>> 0;
    } catch (cause) {
      throw new LbError("INTERNAL", `conntrack: cannot reserve ${capacity} slots`, { cause });
    }
    if (this.table === 0) {
      throw new LbError("INVALID_ARGUMENT", `conntrack: capacity must be at least ${CONNTRACK_MIN_CAPACITY}, got ${capacity}`);
    }
    this.capacity = this.ex.conntrackStat(this.table, 0);
    this.keyOffset = this.ex.conntrackKeyPtr(this.table) >>> 0;
    this.batchOffset = this.ex.conntrackBatchPtr(this.table) >>> 0;
    this.resultsOffset = this.ex.conntrackResultsPtr(this.table) >>> 0;
  }

  /** Byte view of linear memory, re-made when memory has grown (a table or kernel reserving more). */
  memory(): Uint8Array {
    if (this.u8.length === 0) this.u8 = new Uint8Array(this.mem.buffer);
    return this.u8;
  }

  /** Backend index of `tuple` (40 bytes), refreshing its last-seen time; -1 when not tracked. */
  lookup(tuple: Uint8Array, nowMs: number): number {
    checkTuple(tuple);
    this.memory().set(tuple, this.keyOffset);
    return this.ex.conntrackLookup(this.table, this.keyOffset, nowMs >>> 0);
  }

  /** `lookup` of the tuple already written at `keyOffset`. */
  lookupKey(nowMs: number): number {
    return this.ex.conntrackLookup(this.table, this.keyOffset, nowMs >>> 0);
  }

  /**
   * Looks up the first `count` (<= CONNTRACK_BATCH) tuples written at `batchOffset`, refreshing
   * each hit; `results()[i]` is then tuple i's backend or -1. Returns the number of hits.
   * Flags are not reported (use `lookupKey` when they matter).
   */
  lookupBatch(count: number, nowMs: number): number {
    return this.ex.conntrackLookupBatch(this.table, checkU32("count", count, CONNTRACK_BATCH), nowMs >>> 0);
  }

  /** The CONNTRACK_BATCH results of the last `lookupBatch`, as a view of linear memory. */
  results(): Int32Array {
    if (this.i32.length === 0) this.i32 = new Int32Array(this.mem.buffer, this.resultsOffset, CONNTRACK_BATCH);
    return this.i32;
  }

  /**
   * Looks up every tuple of `tuples` (n × 40 bytes) at nowMs, writing backend or -1 to `out[i]`
   * (length >= n); returns the number of hits. Batches of 256 go through `lookupBatch`.
   */
  lookupMany(tuples: Uint8Array, nowMs: number, out: Int32Array): number {
    const n = tuples.length / 40;
    if (!Number.isInteger(n) || out.length < n) {
      throw new LbError("INVALID_ARGUMENT", `conntrack: ${tuples.length} bytes is not n tuples, or out is shorter than n`);
    }
    let hits = 0;
    for (let start = 0; start < n; start += CONNTRACK_BATCH) {
      const count = Math.min(CONNTRACK_BATCH, n - start);
      this.memory().set(tuples.subarray(start * 40, (start + count) * 40), this.batchOffset);
      hits += this.lookupBatch(count, nowMs);
      out.set(this.results().subarray(0, count), start);
    }
    return hits;
  }

  /** Flags of the flow found by the last successful lookup. */
  get lastFlags(): number {
    return this.ex.conntrackStat(this.table, 7);
  }

  /** Tracks `tuple` → `backend` (0..2^31-1) seen at nowMs, or updates it. Never fails for room. */
  insert(tuple: Uint8Array, backend: number, nowMs: number, flags = 0): InsertOutcome {
    checkTuple(tuple);
    this.memory().set(tuple, this.keyOffset);
    return this.insertKey(backend, nowMs, flags);
  }

  /** `insert` of the tuple already written at `keyOffset`. */
  insertKey(backend: number, nowMs: number, flags = 0): InsertOutcome {
    checkU32("backend", backend, 0x7fffffff);
    return this.ex.conntrackInsert(this.table, this.keyOffset, backend, nowMs >>> 0, flags >>> 0) as InsertOutcome;
  }

  /** Stops tracking `tuple`; false when it was not tracked. */
  remove(tuple: Uint8Array): boolean {
    checkTuple(tuple);
    this.memory().set(tuple, this.keyOffset);
    return this.removeKey();
  }

  /** `remove` of the tuple already written at `keyOffset`. */
  removeKey(): boolean {
    return this.ex.conntrackRemove(this.table, this.keyOffset) === 1;
  }

  /**
   * Expires flows idle for idleMs or longer, visiting at most `maxVisits` slots from where the
   * last sweep stopped (call it often with a small budget: ~1 ns a slot). Returns how many expired.
   * A flow moved by a concurrent insert may be skipped once and is caught on the next pass.
   */
  sweep(nowMs: number, idleMs: number, maxVisits = this.capacity): number {
    return this.ex.conntrackSweep(this.table, nowMs >>> 0, checkU32("idleMs", idleMs), checkU32("maxVisits", maxVisits));
  }

  /** Flows tracked to `backend`. A full scan (~1 ms per 100,000 slots): off the hot path. */
  countBackend(backend: number): number {
    return this.ex.conntrackForBackend(this.table, checkU32("backend", backend), 0, 0);
  }

  /**
   * Flows per backend in one scan: `out[b]` becomes the flow count of backend b for every
   * b < out.length (flows of larger indices are only in the total). Returns the total. Use it
   * instead of one `countBackend` per backend when reporting them all. Reads the slot layout of
   * assembly/conntrack.ts directly (word 0 tag, 0 = empty; word 1 backend).
   */
  countByBackend(out: Uint32Array): number {
    out.fill(0);
    const words = new Uint32Array(this.mem.buffer, this.slotsOffset, this.capacity * (CONNTRACK_SLOT_BYTES >>> 2));
    let total = 0;
    for (let w = 0; w < words.length; w += CONNTRACK_SLOT_BYTES >>> 2) {
      if (words[w] === 0) continue;
      total++;
      const b = words[w + 1]!;
      if (b < out.length) out[b]!++;
    }
    return total;
  }

  /** ORs `flagBits` into the flags of every flow of `backend` (e.g. draining); full scan. */
  markBackend(backend: number, flagBits = CONNTRACK_FLAG_DRAINING): number {
    return this.ex.conntrackForBackend(this.table, checkU32("backend", backend), 1, flagBits >>> 0);
  }

  /** Forgets every flow of `backend` (a removed backend); returns how many; full scan. */
  removeBackend(backend: number): number {
    return this.ex.conntrackForBackend(this.table, checkU32("backend", backend), 2, 0);
  }

  /** The table's counters. */
  stats(): ConnTrackStats {
    const s = (i: number) => this.ex.conntrackStat(this.table, i) >>> 0;
    return { size: s(1), capacity: s(0), inserts: s(2), evictions: s(3), expirations: s(4) };
  }

  /** Byte offset of the slot array in linear memory (tests compare it with the oracle). */
  get slotsOffset(): number {
    return this.ex.conntrackStat(this.table, 6) >>> 0;
  }
}
