/**
 * Per-node gauges shared by every worker of a node (a pool's connections, pending and active
 * requests, a backend's live load): one Int32 total per slot in a SharedArrayBuffer, changed only
 * with Atomics, so a cap checked and taken by one worker is exact against all the others
 * (compare-and-swap, never read-then-write). Beside each total, every worker keeps its own share in
 * a column of its own: when a worker dies, the control part gives its share back
 * (`reclaim`), so units it held at its death do not shrink the node's caps for ever.
 *
 * Slots are handed out by the control part (SlotBook), which owns the layout; a worker only ever
 * touches the slots the snapshot it serves names. With one worker and no sharing the same class
 * works over a plain buffer (`NodeCounters.local`).
 */

/** Where a NodeCounters lives and how it is laid out; what a worker needs to attach to it. */
export interface NodeCountersLayout {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** Slots per column. */
  readonly capacity: number;
  /** Worker columns (the node's worker count). */
  readonly workers: number;
}

export class NodeCounters {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  readonly capacity: number;
  readonly workers: number;
  /** totals at [0, capacity), then column w at [(w + 1) × capacity, (w + 2) × capacity). */
  readonly #cells: Int32Array;
  /** This thread's column offset; -1 for the control part, which holds no units itself. */
  readonly #own: number;

  private constructor(layout: NodeCountersLayout, worker: number) {
    if (worker >= layout.workers) throw new RangeError(`worker ${worker} outside 0..${layout.workers - 1}`);
    this.buffer = layout.buffer;
    this.capacity = layout.capacity;
    this.workers = layout.workers;
    this.#cells = new Int32Array(layout.buffer);
    this.#own = worker < 0 ? -1 : (worker + 1) * layout.capacity;
  }

  /** A new shared table of `capacity` slots for `workers` workers (zero-filled: untouched pages cost no memory). */
  static create(capacity: number, workers: number): NodeCounters {
    const buffer = new SharedArrayBuffer(4 * capacity * (workers + 1));
    return new NodeCounters({ buffer, capacity, workers }, -1);
  }

  /** A private table for one thread (a node without workers): the same calls, nothing shared. */
  static local(capacity: number): NodeCounters {
    return new NodeCounters({ buffer: new ArrayBuffer(4 * capacity * 2), capacity, workers: 1 }, 0);
  }

  /** Attaches worker `worker` (0-based; -1 = the control part) to a table made by `create`. */
  static attach(layout: NodeCountersLayout, worker: number): NodeCounters {
    return new NodeCounters(layout, worker);
  }

  /** What `attach` needs, to post to a worker (the buffer is shared, not copied). */
  layout(): NodeCountersLayout {
    return { buffer: this.buffer, capacity: this.capacity, workers: this.workers };
  }

  /** The node's total of `slot` now. */
  value(slot: number): number {
    return Atomics.load(this.#cells, slot);
  }

  /** This worker's own share of `slot`. */
  own(slot: number): number {
    return this.#own < 0 ? 0 : Atomics.load(this.#cells, this.#own + slot);
  }

  /**
   * Takes one unit of `slot` if the node's total is below `cap`; false (nothing taken) otherwise.
   * Exact across workers: the check and the increment are one compare-and-swap.
   */
  tryAcquire(slot: number, cap: number): boolean {
    const cells = this.#cells;
    for (;;) {
      const now = Atomics.load(cells, slot);
      if (now >= cap) return false;
      if (Atomics.compareExchange(cells, slot, now, now + 1) === now) break;
    }
    if (this.#own >= 0) Atomics.add(cells, this.#own + slot, 1);
    return true;
  }

  /** Adds `n` (may be negative) to `slot` whatever its cap; returns the node's total after. */
  add(slot: number, n: number): number {
    if (this.#own >= 0) Atomics.add(this.#cells, this.#own + slot, n);
    return Atomics.add(this.#cells, slot, n) + n;
  }

  /**
   * The next number of the sequence kept at `slot` (a u32 that wraps), shared by every worker; not
   * a gauge: nothing is held, nothing reclaimed.
   */
  next(slot: number): number {
    return Atomics.add(this.#cells, slot, 1) >>> 0;
  }

  /**
   * Gives back one unit this worker took; a release without a unit held (a double release) is
   * ignored, so a bug elsewhere cannot push the node's total below what the workers hold.
   */
  release(slot: number): number {
    const cells = this.#cells;
    if (this.#own >= 0) {
      for (;;) {
        const mine = Atomics.load(cells, this.#own + slot);
        if (mine <= 0) return Atomics.load(cells, slot);
        if (Atomics.compareExchange(cells, this.#own + slot, mine, mine - 1) === mine) break;
      }
    }
    return Atomics.sub(cells, slot, 1) - 1;
  }

  /**
   * Control part: worker `worker` is gone; takes every unit it still held out of the totals and
   * clears its column, so its replacement starts from zero. Returns how many units were given back.
   */
  reclaim(worker: number): number {
    const cells = this.#cells;
    const base = (worker + 1) * this.capacity;
    let given = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const held = Atomics.exchange(cells, base + slot, 0);
      if (held === 0) continue;
      Atomics.sub(cells, slot, held);
      given += held;
    }
    return given;
  }

  /** True when no worker holds any unit of `slot` (it may be handed out again). */
  idle(slot: number): boolean {
    if (Atomics.load(this.#cells, slot) !== 0) return false;
    for (let w = 0; w < this.workers; w++) if (Atomics.load(this.#cells, (w + 1) * this.capacity + slot) !== 0) return false;
    return true;
  }
}
