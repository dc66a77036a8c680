/**
 * An append-only byte buffer that doubles its capacity, so collecting a preamble that arrives a
 * byte at a time costs O(n) copying, not O(n²) (a slow client must not be able to burn CPU).
 */
export class GrowBuffer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 512) {
    this.buf = new Uint8Array(initial);
  }

  /** Appends `chunk` and returns a view of everything so far (valid until the next append). */
  append(chunk: Uint8Array): Uint8Array {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len = need;
    return this.buf.subarray(0, this.len);
  }

  get length(): number {
    return this.len;
  }
}
