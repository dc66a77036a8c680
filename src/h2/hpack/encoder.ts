/**
 * The HPACK encoder (RFC 7541): writes one header block at a time into a shared buffer, which the
 * connection then frames (HEADERS + CONTINUATION) and copies out. Static exact matches and the
 * newest dynamic entry of a name are used as indexes; values are Huffman-coded when shorter.
 *
 * Indexing policy (after nghttp2's): credentials and short cookies are never indexed (RFC 7541
 * §7.1.3), values that are almost never repeated (paths, lengths, etags, locations, set-cookie,
 * request ids) are sent without indexing, and nothing bigger than 3/4 of the table is indexed.
 */
import { ENTRY_OVERHEAD } from "./decoder-table.ts";
import { EncoderTable } from "./encoder-table.ts";
import { huffmanBytesLength, huffmanEncodeBytesInto, huffmanEncodeInto, huffmanEncodedLength } from "./huffman-encode.ts";
import { encodeInt } from "./integer.ts";
import { NO_INDEX, type FieldName } from "./field-name.ts";
import { STATIC_BY_NAME, STATIC_COUNT } from "./static-table.ts";


/** Cookies shorter than this are guessable, so never indexed (nghttp2 draws the same line). */
const SHORT_COOKIE = 20;

type Latin1Buffer = Buffer & { latin1Write(s: string, offset: number): number };

/** The block being written; shared by every encoder (encoding is synchronous, the block is copied out). */
let out = Buffer.allocUnsafe(16 * 1024) as Latin1Buffer;

function ensure(w: number, n: number): void {
  if (w + n <= out.length) return;
  let size = out.length * 2;
  while (size < w + n) size *= 2;
  const b = Buffer.allocUnsafe(size) as Latin1Buffer;
  out.copy(b, 0, 0, w);
  out = b;
}

export class HpackEncoder {
  private readonly table: EncoderTable;
  /** Smallest table size since the last block, to announce first (RFC 7541 §4.2); -1: none pending. */
  private pendingMin = -1;
  private w = 0;

  /**
   * `capacity` bounds this encoder's table whatever the peer allows (memory per connection). The
   * peer's decoder starts at 4096 (RFC 9113 §6.5.2): a smaller capacity is announced in the first block.
   */
  constructor(capacity = 4096, peerTableSize = 4096) {
    this.table = new EncoderTable(capacity);
    this.table.maxSize = Math.min(capacity, peerTableSize);
    if (this.table.maxSize !== peerTableSize) this.pendingMin = this.table.maxSize;
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with a size update. */
  setPeerTableSize(n: number): void {
    const size = Math.min(n, this.table.capacity);
    if (size === this.table.maxSize) return;
    this.pendingMin = this.pendingMin < 0 ? size : Math.min(this.pendingMin, size);
    this.table.setMaxSize(size);
  }

  /** The buffer holding the block after `finish` (valid until the next `begin`). */
  get buf(): Buffer {
    return out;
  }

  /** Changes when the dynamic table does: equal values, equal tables (a block part encoded against it encodes again the same). */
  get tableVersion(): number {
    return this.table.version;
  }

  /** Bytes of the block written so far. */
  get at(): number {
    return this.w;
  }

  /** Appends src[start, end): a part of an earlier block encoded against the same table. */
  append(src: Buffer, start: number, end: number): void {
    ensure(this.w, end - start);
    this.w += src.copy(out, this.w, start, end);
  }

  /** Starts a block. */
  begin(): void {
    this.w = 0;
    if (this.pendingMin < 0) return;
    ensure(0, 12);
    this.w = encodeInt(out, 0, this.pendingMin, 5, 0x20);
    if (this.table.maxSize !== this.pendingMin) this.w = encodeInt(out, this.w, this.table.maxSize, 5, 0x20);
    this.pendingMin = -1;
  }

  /** Ends the block: its length in `buf`. */
  finish(): number {
    return this.w;
  }

  /** Adds `name: value`; `name` must be lower-case. `sensitive` forces never-indexed. */
  field(name: string, value: string, sensitive = false): void {
    ensure(this.w, 2 * (name.length + value.length) + 12);
    const st = STATIC_BY_NAME.get(name);
    const exact = st?.values?.get(value);
    if (exact !== undefined) {
      this.w = encodeInt(out, this.w, exact, 7, 0x80);
      return;
    }
    const never = sensitive || name === "authorization" || name === "proxy-authorization" ||
      (name === "cookie" && value.length < SHORT_COOKIE);
    const d = this.table.nameIndex(name);
    if (d > 0 && !never && this.table.valueAt(d) === value) {
      this.w = encodeInt(out, this.w, STATIC_COUNT + d, 7, 0x80);
      return;
    }
    const nameIndex = st !== undefined ? st.index : d > 0 ? STATIC_COUNT + d : 0;
    const index = !never && !NO_INDEX.has(name) &&
      name.length + value.length + ENTRY_OVERHEAD <= (this.table.maxSize * 3) / 4;
    if (index) this.w = encodeInt(out, this.w, nameIndex, 6, 0x40);
    else this.w = encodeInt(out, this.w, nameIndex, 4, never ? 0x10 : 0x00);
    if (nameIndex === 0) this.string(name);
    this.string(value);
    if (index) this.table.insert(name, value);
  }

  /**
   * `field` with the value given as the latin1 bytes buf[start, end) (a backend's head): a value the
   * dynamic table already holds is found and a literal is written from the bytes, so the value
   * becomes a string only when it is inserted. Names with static values or never-indexed rules
   * take the string path.
   */
  fieldBytes(fn: FieldName, buf: Buffer, start: number, end: number): void {
    const name = fn.name;
    if (fn.special) return this.field(name, buf.toString("latin1", start, end));
    const len = end - start;
    ensure(this.w, 2 * (name.length + len) + 12);
    const d = this.table.nameIndex(name);
    if (d > 0 && this.table.valueEquals(d, buf, start, end)) {
      this.w = encodeInt(out, this.w, STATIC_COUNT + d, 7, 0x80);
      return;
    }
    const nameIndex = fn.staticIndex !== 0 ? fn.staticIndex : d > 0 ? STATIC_COUNT + d : 0;
    const index = !fn.noIndex && name.length + len + ENTRY_OVERHEAD <= (this.table.maxSize * 3) / 4;
    this.w = index ? encodeInt(out, this.w, nameIndex, 6, 0x40) : encodeInt(out, this.w, nameIndex, 4, 0x00);
    if (nameIndex === 0) this.string(name);
    this.bytes(buf, start, end);
    if (index) this.table.insert(name, buf.toString("latin1", start, end));
  }

  /** A string literal from the bytes buf[start, end), Huffman-coded when that is shorter. */
  private bytes(buf: Buffer, start: number, end: number): void {
    const len = end - start, h = huffmanBytesLength(buf, start, end);
    if (h < len) {
      this.w = encodeInt(out, this.w, h, 7, 0x80);
      this.w = huffmanEncodeBytesInto(buf, start, end, out, this.w);
    } else {
      this.w = encodeInt(out, this.w, len, 7, 0);
      this.w += buf.copy(out, this.w, start, end);
    }
  }

  /** The :status pseudo-header (RFC 9113 §8.3.2): the static table holds the common ones. */
  status(code: number): void {
    const i = code < STATUS_INDEX.length ? STATUS_INDEX[code]! : 0;
    if (i === 0) return this.field(":status", STATUS_TEXT[code] ?? String(code));
    ensure(this.w, 1);
    out[this.w++] = 0x80 | i; // indexed field, the static index fits the 7-bit prefix
  }

  /** A string literal (RFC 7541 §5.2), Huffman-coded when that is shorter. */
  private string(s: string): void {
    const h = huffmanEncodedLength(s);
    if (h < s.length) {
      this.w = encodeInt(out, this.w, h, 7, 0x80);
      this.w = huffmanEncodeInto(s, out, this.w);
    } else {
      this.w = encodeInt(out, this.w, s.length, 7, 0);
      this.w += out.latin1Write(s, this.w);
    }
  }
}

/** Status codes as strings, made once (no number-to-string per response). */
const STATUS_TEXT: string[] = [];
for (let c = 100; c < 600; c++) STATUS_TEXT[c] = String(c);
/** By status code, its static table index (200, 204, 206, 304, 400, 404, 500), 0 for the others. */
const STATUS_INDEX = new Uint8Array(600);
for (const [text, index] of STATIC_BY_NAME.get(":status")!.values!) STATUS_INDEX[Number(text)] = index;
