/**
 * Where the HPACK decoder puts a header block's fields: decoded bytes plus four offsets per field.
 * One instance serves every connection (decoding is synchronous and the result is consumed before
 * the next block is decoded), so no connection holds a decode buffer while idle.
 */

export class DecodedBlock {
  buf = Buffer.allocUnsafe(16 * 1024);
  /** Per field: nameStart, nameEnd, valueStart, valueEnd (offsets in `buf`). */
  offs = new Int32Array(4 * 64);
  /** 1 where the field came as never-indexed (RFC 7541 §6.2.3): re-encode it the same way. */
  sensitive = new Uint8Array(64);
  count = 0;
  /** RFC 9113 §6.5.2 size of the whole list: name + value + 32 per field, counted to the end. */
  listSize = 0;
  /** The list passed the size limit: later fields were decoded (the table stays in step) but not kept. */
  oversized = false;

  reset(): void {
    this.count = 0;
    this.listSize = 0;
    this.oversized = false;
  }

  /** Makes buf at least `n` bytes long, keeping its content. */
  ensure(n: number): void {
    if (n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.buf.length);
    this.buf = b;
  }

  /** Records a field whose bytes are already in buf. */
  push(ns: number, ne: number, vs: number, ve: number, sensitive: boolean): void {
    const i = this.count;
    if (4 * (i + 1) > this.offs.length) {
      const o = new Int32Array(this.offs.length * 2);
      o.set(this.offs);
      this.offs = o;
      const s = new Uint8Array(this.sensitive.length * 2);
      s.set(this.sensitive);
      this.sensitive = s;
    }
    this.offs[4 * i] = ns;
    this.offs[4 * i + 1] = ne;
    this.offs[4 * i + 2] = vs;
    this.offs[4 * i + 3] = ve;
    this.sensitive[i] = sensitive ? 1 : 0;
    this.count = i + 1;
  }

  /** Name of field i as a string (tests and logs). */
  name(i: number): string {
    return this.buf.toString("latin1", this.offs[4 * i]!, this.offs[4 * i + 1]!);
  }

  value(i: number): string {
    return this.buf.toString("latin1", this.offs[4 * i + 2]!, this.offs[4 * i + 3]!);
  }
}

/** The one shared instance (see the module comment). */
export const sharedBlock = new DecodedBlock();
