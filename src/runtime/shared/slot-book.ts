/**
 * Which NodeCounters slot belongs to what ("pool NAME connections", "backend POOL ADDRESS"), kept
 * by the control part, which alone hands slots out, so every worker finds a thing at the same
 * slot. A name keeps its slot across snapshots while it exists. A slot let go of is handed out
 * again only once the counters show nobody holds a unit of it any more: a request that started
 * before the change still gives its unit back to the slot it took it from, never to a stranger's.
 */
import type { NodeCounters } from "./node-counters.ts";

export class SlotBook {
  readonly #slots = new Map<string, number>();
  /** Names by group (a pool's gauges), so a group's names are handed out and let go of together. */
  readonly #groups = new Map<string, Set<string>>();
  /** Let go of, waiting for their last units to come back. */
  readonly #released: number[] = [];
  /** Never handed out yet: the next is `#next`. */
  #next = 0;

  constructor(private readonly counters: NodeCounters) {}

  /** The slot of `name`, handed out now if it has none; -1 when the table is full. */
  slotOf(name: string): number {
    const had = this.#slots.get(name);
    if (had !== undefined) return had;
    const slot = this.#take();
    if (slot >= 0) this.#slots.set(name, slot);
    return slot;
  }

  /**
   * The slots of `names`, the names of `group` from now on: those it had before and has no more
   * are released. Names the table has no room for are left out of the answer.
   */
  assign(group: string, names: readonly string[]): Map<string, number> {
    const now = new Set(names);
    for (const name of this.#groups.get(group) ?? []) if (!now.has(name)) this.#release(name);
    this.#groups.set(group, now);
    const out = new Map<string, number>();
    for (const name of names) {
      const slot = this.slotOf(name);
      if (slot >= 0) out.set(name, slot);
    }
    return out;
  }

  /** Releases every name of `group`. */
  drop(group: string): void {
    for (const name of this.#groups.get(group) ?? []) this.#release(name);
    this.#groups.delete(group);
  }

  #release(name: string): void {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    this.#slots.delete(name);
    this.#released.push(slot);
  }

  /** Keeps only the names `keep` accepts; the others' slots are released (reused once idle). */
  retain(keep: (name: string) => boolean): void {
    for (const [name, slot] of this.#slots) {
      if (keep(name)) continue;
      this.#slots.delete(name);
      this.#released.push(slot);
    }
  }

  /** Slots handed out now. */
  get size(): number {
    return this.#slots.size;
  }

  #take(): number {
    for (let i = 0; i < this.#released.length; i++) {
      const slot = this.#released[i]!;
      if (!this.counters.idle(slot)) continue;
      this.#released.splice(i, 1);
      return slot;
    }
    return this.#next < this.counters.capacity ? this.#next++ : -1;
  }
}
