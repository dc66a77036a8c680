/**
 * What one worker sees of its node's shared state: the NodeCounters, the slot of each named gauge
 * of the snapshot it serves (handed out by the control part with the snapshot: `slotNames`
 * spells the names), and a wake-up word: `signal()` tells every worker that a shared cap's
 * gauges moved in a way another worker may act on (a request started waiting for a connection; a
 * connection closed while requests wait), and `watch` runs a callback on each such signal.
 */
import type { Snapshot, SnapshotPool } from "../../config/index.ts";
import { NodeCounters, type NodeCountersLayout } from "./node-counters.ts";
import { ClientCounts } from "./client-counts.ts";
import type { KeyTableLayout } from "./key-table.ts";
import type { SlotBook } from "./slot-book.ts";

/** The names gauges are known by, the same in the control part and every worker. */
export const slotNames = {
  /** A pool's circuit-breaker gauge. */
  breaker: (pool: string, gauge: "connections" | "pending" | "requests") => `pool\u0000${pool}\u0000${gauge}`,
  /** A pool's retries in flight (its retry budget). */
  retries: (pool: string) => `pool\u0000${pool}\u0000retries`,
  /** A pool's total live load (requests in flight and L4 connections, all backends). */
  poolLoad: (pool: string) => `pool\u0000${pool}\u0000load`,
  /** A pool's round-robin sequence (round_robin, weighted_round_robin). */
  ticket: (pool: string) => `pool\u0000${pool}\u0000ticket`,
  /** One backend's live load. */
  backendLoad: (pool: string, address: string) => `backend\u0000${pool}\u0000${address}`,
};

/** Every gauge name of pool `p`. */
export function gaugeNames(p: SnapshotPool): string[] {
  const names = [slotNames.breaker(p.name, "connections"), slotNames.breaker(p.name, "pending"), slotNames.breaker(p.name, "requests")];
  names.push(slotNames.retries(p.name), slotNames.poolLoad(p.name));
  if (p.algorithm === "round_robin" || p.algorithm === "weighted_round_robin") names.push(slotNames.ticket(p.name));
  for (const b of p.backends) names.push(slotNames.backendLoad(p.name, b.address));
  return names;
}

/**
 * Control part: the slots of the gauges of `snap`'s pools named in `changed` (all of them when
 * undefined); the gauges of `removed` pools, and those a changed pool no longer has, are released.
 * A name the table has no room for is left out: that gauge then counts per worker.
 */
export function planSlots(book: SlotBook, snap: Snapshot, changed?: ReadonlySet<string>, removed: readonly string[] = []): Map<string, number> {
  for (const name of removed) book.drop(name);
  const out = new Map<string, number>();
  // Only the changed pools are visited: one edit of a thousand pools costs one pool here.
  for (const name of changed ?? Object.keys(snap.pools)) {
    const p = snap.pools[name];
    if (p === undefined) continue; // a removed pool whose found backends went with it
    for (const [n, slot] of book.assign(p.name, gaugeNames(p))) out.set(n, slot);
  }
  return out;
}

/** What a worker is sent to join its node's shared state. */
export interface NodeShareLayout {
  readonly counters: NodeCountersLayout;
  readonly signal: SharedArrayBuffer;
  /** Per-client counts for the whole node (e.g. connections per client address, for a per-client cap). */
  readonly clients: KeyTableLayout;
}

/** Clients the node-wide per-client table tracks at once (a full bucket refuses to track a new one). */
export const CLIENT_ENTRIES = 1 << 16;

export class NodeShare {
  readonly counters: NodeCounters;
  /** Per-client counts for the whole node, this worker's share in its own column (reclaimed if it dies). */
  readonly clients: ClientCounts;
  /** The whole totals column: load arrays the selectors read through slots. */
  readonly totals: Int32Array;
  readonly #signal: Int32Array;
  readonly #slots = new Map<string, number>();

  constructor(layout: NodeShareLayout, worker: number) {
    this.counters = NodeCounters.attach(layout.counters, worker);
    this.clients = ClientCounts.attach(layout.clients, worker);
    this.totals = new Int32Array(layout.counters.buffer, 0, layout.counters.capacity);
    this.#signal = new Int32Array(layout.signal);
  }

  /** Control part: a new shared state for `workers` workers with `capacity` gauges. */
  static layoutFor(capacity: number, workers: number): NodeShareLayout {
    return {
      counters: NodeCounters.create(capacity, workers).layout(),
      signal: new SharedArrayBuffer(4),
      clients: ClientCounts.create(CLIENT_ENTRIES, workers).table.layout(),
    };
  }

  /**
   * Slots of the snapshot about to be served that are new or moved (from planSlots, as the control
   * part sends them). Names no longer in use may stay: nothing looks them up again unless they
   * come back, and then with their new slot.
   */
  updateSlots(slots: Record<string, number>): void {
    for (const name in slots) this.#slots.set(name, slots[name]!);
  }

  /** The slot of gauge `name`; -1 when it has none (count it per worker). */
  slot(name: string): number {
    return this.#slots.get(name) ?? -1;
  }

  /** Wakes every worker's `watch` callback. */
  signal(): void {
    Atomics.add(this.#signal, 0, 1);
    Atomics.notify(this.#signal, 0);
  }

  /** Calls `fn` after each signal (from any worker, this one included) until the returned stop is called. */
  watch(fn: () => void): () => void {
    let stopped = false;
    const sig = this.#signal;
    void (async () => {
      while (!stopped) {
        const seen = Atomics.load(sig, 0);
        const w = Atomics.waitAsync(sig, 0, seen);
        if (w.async) await w.value;
        if (!stopped) fn();
      }
    })();
    return () => {
      stopped = true;
      Atomics.add(sig, 0, 1);
      Atomics.notify(sig, 0);
    };
  }
}
