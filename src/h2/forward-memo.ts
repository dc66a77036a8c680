/**
 * The last forwarded head a connection's encoder wrote without changing its dynamic table (every
 * field indexed or sent without indexing), kept as its input and its output. A backend repeats
 * its field set response after response (server, content-type, etag...), and the same fields
 * against the same table encode to the same bytes: the next equal head costs one compare and one
 * copy instead of a name lookup, a table lookup and a value compare (or Huffman coding) per field.
 * The head whose Date changed inserts it, and is not kept; the one after it is. Heads that never
 * repeat (a length or an etag per response) are kept ever more rarely, so they cost next to nothing.
 */
import { FIELD_STRIDE } from "../http/index.ts";
import type { HpackEncoder } from "./hpack/index.ts";
import { MemoBackoff } from "./memo-backoff.ts";

/** Heads whose field lines span more bytes, or encode to more, are not kept. */
const MAX_IN = 1024;
const MAX_OUT = 256;
const MAX_FIELDS = 32;
const NONE: readonly string[] = [];
const NO_FIELDS = new Int32Array(0);

/** What a kept head is compared on (encode-fields.ts's ForwardFields, without the import cycle). */
interface Forward {
  before: readonly string[];
  head: { buf: Buffer; fields: Int32Array; count: number };
  drop: number;
  after: readonly string[];
}

export class ForwardMemo {
  /** [0, inLen): the field lines kept; [MAX_IN, MAX_IN + outLen): their encoding. Made on first use. */
  private bytes: Buffer | null = null;
  /** The kept head's field table, offsets relative to its first field's name. Made on first use. */
  private fields = NO_FIELDS;
  private count = 0;
  private inLen = 0;
  private outLen = 0;
  private drop = 0;
  private before = NONE;
  private after = NONE;
  /** Its version is the encoder's table version the output was encoded against. */
  private readonly kept = new MemoBackoff();

  /** Writes the kept encoding when `f` is the head it was made from and the table is unchanged. */
  replay(enc: HpackEncoder, f: Forward): boolean {
    const h = f.head, n = h.count;
    if (this.kept.version !== enc.tableVersion || n !== this.count || f.drop !== this.drop) return false;
    if (!sameList(f.before, this.before) || !sameList(f.after, this.after)) return false;
    const ids = h.fields, own = this.fields, base = ids[0]!;
    for (let i = 0; i < n * FIELD_STRIDE; i += FIELD_STRIDE) {
      if (ids[i]! - base !== own[i] || ids[i + 1]! - base !== own[i + 1] || ids[i + 2]! - base !== own[i + 2]) return false;
      if (ids[i + 3]! - base !== own[i + 3] || ids[i + 4] !== own[i + 4]) return false;
    }
    const b = this.bytes!;
    if (h.buf.compare(b, 0, this.inLen, base, base + this.inLen) !== 0) return false;
    enc.append(b, MAX_IN, MAX_IN + this.outLen);
    this.kept.hit = true;
    return true;
  }

  /** Keeps `f` and its encoding, enc's block from `from` on (written just now, the table unchanged). */
  keep(enc: HpackEncoder, f: Forward, from: number): void {
    if (!this.kept.admit()) return;
    const h = f.head, n = h.count, ids = h.fields, outLen = enc.at - from;
    if (n === 0 || n > MAX_FIELDS || outLen > MAX_OUT) return;
    const base = ids[0]!;
    if (this.fields.length === 0) this.fields = new Int32Array(MAX_FIELDS * FIELD_STRIDE);
    let end = base;
    for (let i = 0; i < n * FIELD_STRIDE; i += FIELD_STRIDE) {
      for (let k = 0; k < 4; k++) {
        const at = ids[i + k]!;
        if (at < base) return; // not in buffer order: the bytes from the first name on do not cover it
        if (at > end) end = at;
        this.fields[i + k] = at - base;
      }
      this.fields[i + 4] = ids[i + 4]!;
    }
    if (end - base > MAX_IN) return;
    const b = (this.bytes ??= Buffer.allocUnsafe(MAX_IN + MAX_OUT));
    h.buf.copy(b, 0, base, end);
    enc.buf.copy(b, MAX_IN, from, from + outLen);
    this.count = n;
    this.inLen = end - base;
    this.outLen = outLen;
    this.drop = f.drop;
    this.before = f.before.length === 0 ? NONE : f.before.slice();
    this.after = f.after.length === 0 ? NONE : f.after.slice();
    this.kept.version = enc.tableVersion;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
