/**
 * Incremental chunked transfer-coding decoder (RFC 9112 §7.1), strict: hex sizes only (no sign,
 * no whitespace, at most 12 digits), chunk extensions bounded and free of control bytes, CRLF
 * exactly after each chunk, trailer fields validated like header fields.
 */
import { CR, FIELD_VALUE, HEX, LF } from "./chars.ts";
import { scanFields } from "./fields.ts";
import { FIELD_STRIDE, H } from "./head.ts";
import type { HttpLimits } from "./limits.ts";
import { badMessage, tooLarge } from "./parse-error.ts";

const enum S { Size, Ext, SizeLf, Data, DataCr, DataLf, Trailers, Done }

/** 12 hex digits = 256 TiB: beyond that a size is an attack, not a body. */
const MAX_SIZE_DIGITS = 12;
/** Chunk extensions are unused in practice; a long one is a resource attack. */
const MAX_EXT_BYTES = 1024;

/** Receives decoded body bytes buf[start, end), valid only during the call. */
export type BodySink = (buf: Buffer, start: number, end: number) => void;

export class ChunkedDecoder {
  private state = S.Size;
  private size = 0;
  private digits = 0;
  private extLen = 0;
  private remaining = 0;
  private trailer: Buffer | null = null;
  private trailerLen = 0;
  /** The trailer section (field lines, each with CRLF) once done; null when there was none. */
  trailers: Buffer | null = null;

  constructor(private readonly limits: HttpLimits, private readonly upstream: boolean) {}

  /** True once the last chunk and the trailer section have been read. */
  get done(): boolean {
    return this.state === S.Done;
  }

  /**
   * Consumes buf[pos, end), passing data to `sink` (null: validate only) and returns the offset
   * it stopped at: `end`, or just past the message when it completes. Throws HttpParseError.
   */
  feed(buf: Buffer, pos: number, end: number, sink: BodySink | null): number {
    while (pos < end) {
      const b = buf[pos]!;
      switch (this.state) {
        case S.Size: {
          const v = HEX[b]!;
          if (v !== 255) {
            if (++this.digits > MAX_SIZE_DIGITS) throw badMessage("CHUNK_SIZE_TOO_LONG", this.upstream);
            this.size = this.size * 16 + v;
          } else if (this.digits > 0 && (b === CR || b === 0x3b)) {
            this.state = b === CR ? S.SizeLf : S.Ext;
          } else throw badMessage("BAD_CHUNK_SIZE", this.upstream);
          pos++;
          break;
        }
        case S.Ext:
          if (b === CR) this.state = S.SizeLf;
          else if (FIELD_VALUE[b] === 0) throw badMessage("BAD_CHUNK_EXT", this.upstream);
          else if (++this.extLen > MAX_EXT_BYTES) throw badMessage("CHUNK_EXT_TOO_LONG", this.upstream);
          pos++;
          break;
        case S.SizeLf:
          if (b !== LF) throw badMessage("BARE_CR", this.upstream);
          pos++;
          if (this.size === 0) this.state = S.Trailers;
          else {
            this.remaining = this.size;
            this.state = S.Data;
          }
          break;
        case S.Data: {
          const n = Math.min(this.remaining, end - pos);
          if (sink !== null) sink(buf, pos, pos + n);
          pos += n;
          if ((this.remaining -= n) === 0) this.state = S.DataCr;
          break;
        }
        case S.DataCr:
        case S.DataLf:
          if (b !== (this.state === S.DataCr ? CR : LF)) throw badMessage("BAD_CHUNK_END", this.upstream);
          pos++;
          if (this.state === S.DataLf) this.resetSize();
          else this.state = S.DataLf;
          break;
        case S.Trailers:
          pos = this.feedTrailers(buf, pos, end);
          if ((this.state as S) === S.Done) return pos;
          break;
        default:
          return pos;
      }
    }
    return pos;
  }

  private resetSize(): void {
    this.state = S.Size;
    this.size = 0;
    this.digits = 0;
    this.extLen = 0;
  }

  /** Collects the trailer section up to its empty line, then validates it as field lines. */
  private feedTrailers(buf: Buffer, pos: number, end: number): number {
    const max = this.limits.maxHeaderBytes;
    this.trailer ??= Buffer.allocUnsafe(256);
    while (pos < end) {
      if (this.trailerLen === this.trailer.length) {
        if (this.trailerLen >= max) throw tooLarge("TRAILERS_TOO_LARGE", this.upstream);
        const grown = Buffer.allocUnsafe(Math.min(max, this.trailerLen * 2));
        this.trailer.copy(grown, 0, 0, this.trailerLen);
        this.trailer = grown;
      }
      const t = this.trailer, n = ++this.trailerLen;
      t[n - 1] = buf[pos++]!;
      if (t[n - 1] !== LF) continue;
      if (n < 2 || t[n - 2] !== CR) throw badMessage("BARE_LF", this.upstream);
      if (n === 2 || (n >= 4 && t[n - 3] === LF && t[n - 4] === CR)) {
        this.finishTrailers(t.subarray(0, n));
        return pos;
      }
    }
    return pos;
  }

  /**
   * Validates the trailer section like a head and keeps only the fields a trailer may carry: the
   * framing, routing and connection fields (RFC 9110 §6.5.1) are dropped rather than forwarded,
   * so no backend that merges trailers into the head can be steered by them.
   */
  private finishTrailers(section: Buffer): void {
    if (section.length > 2) {
      const f = new Int32Array(this.limits.maxHeaderCount * FIELD_STRIDE);
      const n = scanFields(section, 0, section.length - 2, f, this.limits.maxHeaderCount, this.upstream);
      const kept: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const o = i * FIELD_STRIDE, end = i + 1 < n ? f[o + FIELD_STRIDE]! : section.length - 2;
        if (f[o + 4] === H.OTHER) kept.push(section.subarray(f[o]!, end));
      }
      if (kept.length > 0) this.trailers = Buffer.concat(kept);
    }
    this.trailer = null;
    this.state = S.Done;
  }
}
