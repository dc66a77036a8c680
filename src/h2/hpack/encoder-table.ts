/**
 * The encoder's dynamic table (RFC 7541 §2.3.2): names and values as strings, with a map from a
 * name to its newest entry, so a lookup is one Map get and one compare instead of a scan. A value
 * repeated under a name whose newest entry holds another value is inserted again: the table is
 * bounded, and the common case (the same value as last time) is found.
 */
import { ENTRY_OVERHEAD } from "./decoder-table.ts";

export class EncoderTable {
  /** The size limit in force (what the last size update told the peer). */
  maxSize: number;
  size = 0;
  count = 0;
  /** Bumped by every change (insert, eviction, size limit): an equal number means an equal table. */
  version = 0;
  /** Entries ever inserted: the newest has id `inserted`, dynamic index 1. */
  private inserted = 0;
  private names: string[] = [];
  private values: string[] = [];
  private readonly newestByName = new Map<string, number>();
  /** Ring length: more entries than capacity / 32 cannot be live at once. */
  private readonly ring: number;

  /** `capacity` is the largest size this table will ever be allowed (the encoder's own cap). */
  constructor(readonly capacity: number) {
    this.maxSize = capacity;
    this.ring = Math.floor(capacity / ENTRY_OVERHEAD) + 1;
  }

  /** Dynamic index (1 = newest) of the newest entry named `name`, or 0. */
  nameIndex(name: string): number {
    const id = this.newestByName.get(name);
    return id === undefined ? 0 : this.inserted - id + 1;
  }

  /** The value of dynamic entry `index` (1 = newest). */
  valueAt(index: number): string {
    return this.values[this.slot(this.inserted - index + 1)]!;
  }

  /** True when dynamic entry `index` (1 = newest) has the value buf[start, end) (latin1). */
  valueEquals(index: number, buf: Uint8Array, start: number, end: number): boolean {
    const v = this.values[this.slot(this.inserted - index + 1)]!;
    if (v.length !== end - start) return false;
    for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) !== buf[start + i]) return false;
    return true;
  }

  /** Lowers (or raises, up to capacity) the limit, evicting what no longer fits. */
  setMaxSize(n: number): void {
    this.version++;
    this.maxSize = Math.min(n, this.capacity);
    while (this.size > n) this.evict();
  }

  /** Adds an entry (RFC 7541 §4.4); one larger than the table empties it and is not added. */
  insert(name: string, value: string): void {
    const entry = name.length + value.length + ENTRY_OVERHEAD;
    this.version++;
    while (this.count > 0 && this.size + entry > this.maxSize) this.evict();
    if (entry > this.maxSize) return;
    const id = ++this.inserted;
    const s = this.slot(id);
    this.names[s] = name;
    this.values[s] = value;
    this.newestByName.set(name, id);
    this.count++;
    this.size += entry;
  }

  private slot(id: number): number {
    return id % this.ring;
  }

  private evict(): void {
    const id = this.inserted - this.count + 1, s = this.slot(id);
    const name = this.names[s]!, value = this.values[s]!;
    this.size -= name.length + value.length + ENTRY_OVERHEAD;
    this.count--;
    if (this.newestByName.get(name) === id) this.newestByName.delete(name);
    this.names[s] = "";
    this.values[s] = "";
  }
}
