/**
 * A head that arrived split across packets, accumulated (bounded by maxHeaderBytes) and checked
 * as it grows, so a bare LF or an endless request line is refused before the head completes.
 */
import { CR, CRLFCRLF, LF } from "./chars.ts";
import type { HttpLimits } from "./limits.ts";
import { HttpParseError, badMessage, tooLarge } from "./parse-error.ts";

export class PartialHead {
  buf: Buffer | null = null;
  len = 0;
  private lineSeen = false;

  constructor(private readonly limits: HttpLimits, private readonly upstream: boolean) {}

  /**
   * Appends buf[pos..] (at most what the limit allows) and returns the end of the head inside
   * `this.buf` (just past CRLFCRLF), or -1 when it is still incomplete.
   */
  add(buf: Buffer, pos: number): number {
    const old = this.len;
    this.append(buf, pos);
    const i = this.buf!.subarray(0, this.len).indexOf(CRLFCRLF, Math.max(0, old - 3));
    if (i < 0) {
      this.check(old);
      return -1;
    }
    if (i + 4 > this.limits.maxHeaderBytes) throw tooLarge("HEADERS_TOO_LARGE", this.upstream);
    return i + 4;
  }

  /** Forgets the accumulated head (it was parsed, or the parser failed). */
  reset(): void {
    this.buf = null;
    this.len = 0;
    this.lineSeen = false;
  }

  private append(buf: Buffer, pos: number): void {
    const max = this.limits.maxHeaderBytes, old = this.len;
    const n = Math.min(buf.length - pos, max + 4 - old);
    if (this.buf === null || this.buf.length < old + n) {
      const grown = Buffer.allocUnsafe(Math.min(max + 4, Math.max(1024, (old + n) * 2)));
      if (this.buf !== null) this.buf.copy(grown, 0, 0, old);
      this.buf = grown;
    }
    buf.copy(this.buf, old, pos, pos + n);
    this.len = old + n;
  }

  /** Rejects bare LF and an over-long request line or head in the bytes from `from` on. */
  private check(from: number): void {
    const acc = this.buf!, end = this.len;
    for (let k = acc.indexOf(LF, from); k >= 0 && k < end; k = acc.indexOf(LF, k + 1)) {
      if (k === 0 || acc[k - 1] !== CR) throw badMessage("BARE_LF", this.upstream);
    }
    if (!this.lineSeen) {
      const cr = acc.indexOf(CR, from);
      if (cr >= 0 && cr < end) this.lineSeen = true;
      else if (!this.upstream && end > this.limits.maxRequestLine) throw new HttpParseError("URI_TOO_LONG", "REQUEST_LINE_TOO_LONG");
    }
    if (end > this.limits.maxHeaderBytes) throw tooLarge("HEADERS_TOO_LARGE", this.upstream);
  }
}
