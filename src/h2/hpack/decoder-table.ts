/**
 * The decoder's dynamic table (RFC 7541 §2.3.2, §4): entries' name and value bytes live in one ring
 * buffer, their offsets in a ring of slots, newest first by index. Both start small and double up
 * to what the table size allows, so an idle connection whose peer indexes little holds little.
 */

/** RFC 7541 §4.1: an entry's size is its name and value lengths plus 32. */
export const ENTRY_OVERHEAD = 32;

const FIRST_BYTES = 256;
const FIRST_SLOTS = 8;

export class DecoderTable {
  /** The size limit in force: the last dynamic table size update (≤ capacity). */
  maxSize: number;
  /** Sum of entry sizes (RFC 7541 §4.1). */
  size = 0;
  count = 0;
  /** Bumped by every change (insert, eviction, size update): an equal number means an equal table. */
  version = 0;
  private bytes: Buffer | null = null;
  /** Per slot: byte offset in `bytes`, name length, value length. */
  private slots: Int32Array | null = null;
  private nslots = 0;
  /** Slot of the newest entry. */
  private newest = -1;
  /** Where the next entry's bytes go. */
  private writeAt = 0;

  /** `capacity` is SETTINGS_HEADER_TABLE_SIZE as advertised: no size update may go above it. */
  constructor(readonly capacity: number) {
    this.maxSize = capacity;
  }

  /** A dynamic table size update (RFC 7541 §6.3): evicts down to the new limit. */
  setMaxSize(n: number): void {
    this.version++;
    this.maxSize = n;
    while (this.size > n) this.evict();
  }

  /** Adds an entry (name and value read from src), evicting the oldest first (RFC 7541 §4.4). */
  insert(src: Uint8Array, ns: number, nl: number, vs: number, vl: number): void {
    const entry = nl + vl + ENTRY_OVERHEAD;
    this.version++;
    if (entry > this.maxSize) {
      // larger than the whole table: empties it and is not added (RFC 7541 §4.4)
      while (this.count > 0) this.evict();
      return;
    }
    while (this.size + entry > this.maxSize) this.evict();
    this.reserve(nl + vl);
    const slot = (this.newest + 1) % this.nslots;
    const at = this.writeAt;
    this.put(src, ns, nl);
    this.put(src, vs, vl);
    const s = this.slots!;
    s[slot * 3] = at;
    s[slot * 3 + 1] = nl;
    s[slot * 3 + 2] = vl;
    this.newest = slot;
    this.count++;
    this.size += entry;
  }

  /** Name length of dynamic entry `i` (1 = newest). */
  nameLength(i: number): number {
    return this.slots![this.slotOf(i) * 3 + 1]!;
  }

  valueLength(i: number): number {
    return this.slots![this.slotOf(i) * 3 + 2]!;
  }

  /** Copies entry `i`'s name (and its value after it when `withValue`) to dst at pos. */
  copy(i: number, withValue: boolean, dst: Uint8Array, pos: number): void {
    const s = this.slots!, slot = this.slotOf(i);
    const len = s[slot * 3 + 1]! + (withValue ? s[slot * 3 + 2]! : 0);
    this.take(s[slot * 3]!, len, dst, pos);
  }

  private slotOf(i: number): number {
    return (this.newest - (i - 1) + this.nslots) % this.nslots;
  }

  private evict(): void {
    const s = this.slots!, oldest = (this.newest - this.count + 1 + this.nslots) % this.nslots;
    this.size -= s[oldest * 3 + 1]! + s[oldest * 3 + 2]! + ENTRY_OVERHEAD;
    this.count--;
  }

  /** Live bytes of the entries now in the table. */
  private liveBytes(): number {
    return this.size - this.count * ENTRY_OVERHEAD;
  }

  /** Makes room for one more entry of `n` bytes, growing (and compacting) the rings if needed. */
  private reserve(n: number): void {
    const needBytes = this.liveBytes() + n, needSlots = this.count + 1;
    const bytes = this.bytes, slots = this.slots;
    if (bytes !== null && slots !== null && needBytes <= bytes.length && needSlots <= this.nslots) return;
    let nb = bytes?.length ?? FIRST_BYTES;
    while (nb < needBytes) nb *= 2;
    let ns = this.nslots || FIRST_SLOTS;
    while (ns < needSlots) ns *= 2;
    const nbytes = Buffer.allocUnsafe(nb), nslots = new Int32Array(ns * 3);
    // copy the live entries oldest first to the start of the new rings
    let w = 0;
    for (let i = this.count; i >= 1; i--) {
      const slot = this.slotOf(i), len = slots![slot * 3 + 1]! + slots![slot * 3 + 2]!;
      this.take(slots![slot * 3]!, len, nbytes, w);
      const j = this.count - i;
      nslots[j * 3] = w;
      nslots[j * 3 + 1] = slots![slot * 3 + 1]!;
      nslots[j * 3 + 2] = slots![slot * 3 + 2]!;
      w += len;
    }
    this.bytes = nbytes;
    this.slots = nslots;
    this.nslots = ns;
    this.newest = this.count - 1;
    this.writeAt = w % nb;
  }

  /** Appends src[s, s+n) at writeAt, wrapping around the ring. */
  private put(src: Uint8Array, s: number, n: number): void {
    const b = this.bytes!, w = this.writeAt, first = Math.min(n, b.length - w);
    for (let i = 0; i < first; i++) b[w + i] = src[s + i]!;
    for (let i = first; i < n; i++) b[i - first] = src[s + i]!;
    this.writeAt = (w + n) % b.length;
  }

  /** Copies n ring bytes starting at `at` (wrapping) into dst at pos. */
  private take(at: number, n: number, dst: Uint8Array, pos: number): void {
    const b = this.bytes!, first = Math.min(n, b.length - at);
    for (let i = 0; i < first; i++) dst[pos + i] = b[at + i]!;
    for (let i = first; i < n; i++) dst[pos + i] = b[i - first]!;
  }
}
