/**
 * A connection's open streams by id: open addressing over a power-of-two slot array (linear
 * probing, backward-shift deletion), because a `Map` whose entries come and go once per request
 * allocates as it goes (measured: ~80 B per set + delete, rehashing its tombstones), and an
 * HTTP/2 connection opens and closes a stream per request. Stream ids on a connection rise by 2,
 * so `id >>> 1` spreads the ones open together over consecutive slots.
 */
import type { H2Stream } from "./stream.ts";

const MIN_SLOTS = 16;

export class StreamTable {
  private slots: (H2Stream | null)[] = new Array<H2Stream | null>(MIN_SLOTS).fill(null);
  private mask = MIN_SLOTS - 1;
  /** Streams held. */
  size = 0;

  get(id: number): H2Stream | undefined {
    const slots = this.slots, mask = this.mask;
    for (let i = (id >>> 1) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === null) return undefined;
      if (s.id === id) return s;
    }
  }

  /** Adds `s` (its id must not be held yet). */
  add(s: H2Stream): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    this.place(s);
    this.size++;
  }

  /** Removes the stream with `id`; false when none was held. */
  delete(id: number): boolean {
    const slots = this.slots, mask = this.mask;
    let i = (id >>> 1) & mask;
    for (;;) {
      const s = slots[i]!;
      if (s === null) return false;
      if (s.id === id) break;
      i = (i + 1) & mask;
    }
    // backward shift: later entries of the run move up so no lookup stops at the hole
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = slots[j]!;
      if (s === null) break;
      const home = (s.id >>> 1) & mask;
      // s may fill the hole unless its home lies cyclically in (hole, j]
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        slots[hole] = s;
        hole = j;
      }
    }
    slots[hole] = null;
    this.size--;
    return true;
  }

  /** The streams held, in no particular order (a copy: the caller may open or close streams while it walks it). */
  list(): H2Stream[] {
    const out: H2Stream[] = [];
    for (const s of this.slots) if (s !== null) out.push(s);
    return out;
  }

  /** Slots to walk with `slot` (no copy; nothing may open or close streams during the walk). */
  get slotCount(): number {
    return this.slots.length;
  }

  /** The stream in slot `i`, or null. */
  slot(i: number): H2Stream | null {
    return this.slots[i]!;
  }

  private place(s: H2Stream): void {
    const slots = this.slots, mask = this.mask;
    let i = (s.id >>> 1) & mask;
    while (slots[i] !== null) i = (i + 1) & mask;
    slots[i] = s;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Array<H2Stream | null>(old.length * 2).fill(null);
    this.mask = this.slots.length - 1;
    for (const s of old) if (s !== null) this.place(s);
  }
}
