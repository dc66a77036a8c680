/**
 * A decoded and validated HTTP/2 field section: pseudo-headers as properties, the other fields as
 * bytes plus offsets in the HTTP/1.1 codec's layout (FIELD_STRIDE ints per field: nameStart,
 * nameEnd, valueStart, valueEnd, id, with ids and the `seen` mask from src/http's H), so the engine
 * can build a RequestHead over `buf` and `fields` without copying. Names are lower-case.
 */
import { FIELD_STRIDE } from "../http/index.ts";

export class HeaderList {
  /** :method, :scheme, :authority, :path, :protocol ("" when absent); :status (0 when absent). */
  method = "";
  scheme = "";
  authority = "";
  path = "";
  protocol = "";
  status = 0;
  /** Where :authority's value sits in `buf` (-1 when absent): a RequestHead's hostStart/hostEnd. */
  authorityStart = -1;
  authorityEnd = -1;
  /** The content-length value, -1 when absent. */
  contentLength = -1;
  /** Bitmask of `1 << H.*` for the known fields present. */
  seen = 0;
  /** Per field, 1 when it came never-indexed (RFC 7541 §7.1.3: forward it the same way); null if none did. */
  sensitive: Uint8Array | null = null;
  /** RFC 9113 §6.5.2 size: name + value + 32 per field, pseudo-headers included. */
  size = 0;

  constructor(
    /** Holds every name and value the offsets point at (set by the codec). */
    public buf: Buffer,
    /** FIELD_STRIDE ints per field (may hold more than `count`: a reused list keeps its room). */
    public fields: Int32Array,
    /** Fields in `fields` (set by the codec). */
    public count: number,
  ) {}

  /** Where a reused list keeps its own copy of the decoded bytes (null until it first needs one). */
  own: Buffer | null = null;

  /** Makes this list an empty one over `buf` with room for at least `n` fields, for the codec to fill again. */
  reset(buf: Buffer, n: number): void {
    this.method = this.scheme = this.authority = this.path = this.protocol = "";
    this.status = 0;
    this.authorityStart = this.authorityEnd = this.contentLength = -1;
    this.seen = 0;
    this.sensitive = null;
    this.size = 0;
    this.buf = buf;
    this.count = 0;
    if (this.fields.length < n * FIELD_STRIDE) this.fields = new Int32Array(n * FIELD_STRIDE);
  }

  /** Makes this list a copy of `src`, whose names and values are src.buf[0, bytes). */
  copyFrom(src: HeaderList, bytes: number): void {
    this.method = src.method;
    this.scheme = src.scheme;
    this.authority = src.authority;
    this.path = src.path;
    this.protocol = src.protocol;
    this.status = src.status;
    this.authorityStart = src.authorityStart;
    this.authorityEnd = src.authorityEnd;
    this.contentLength = src.contentLength;
    this.seen = src.seen;
    this.sensitive = src.sensitive === null ? null : src.sensitive.slice();
    this.size = src.size;
    const n = src.count * FIELD_STRIDE;
    if (this.fields.length < n) this.fields = new Int32Array(Math.max(n, 16 * FIELD_STRIDE));
    for (let i = 0; i < n; i++) this.fields[i] = src.fields[i]!;
    this.count = src.count;
    let own = this.own;
    if (own === null || own.length < bytes) this.own = own = Buffer.allocUnsafe(Math.max(bytes, 256));
    src.buf.copy(own, 0, 0, bytes);
    this.buf = own;
  }

  /** True when a field with id `id` (one of src/http's H) is present. */
  has(id: number): boolean {
    return (this.seen & (1 << id)) !== 0;
  }

  nameAt(i: number): string {
    const o = i * FIELD_STRIDE;
    return this.buf.toString("latin1", this.fields[o]!, this.fields[o + 1]!);
  }

  valueAt(i: number): string {
    const o = i * FIELD_STRIDE;
    return this.buf.toString("latin1", this.fields[o + 2]!, this.fields[o + 3]!);
  }

  /** Index of the first field named `lowerName`, from `from`, or -1. */
  indexOf(lowerName: string, from = 0): number {
    const f = this.fields, len = lowerName.length;
    for (let i = from; i < this.count; i++) {
      const s = f[i * FIELD_STRIDE]!;
      if (f[i * FIELD_STRIDE + 1]! - s === len && sameBytes(this.buf, s, lowerName)) return i;
    }
    return -1;
  }

  /** The first value of `lowerName`, or undefined. */
  get(lowerName: string): string | undefined {
    const i = this.indexOf(lowerName);
    return i < 0 ? undefined : this.valueAt(i);
  }

  /** Every value of `lowerName`, in order. */
  getAll(lowerName: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(lowerName); i >= 0; i = this.indexOf(lowerName, i + 1)) out.push(this.valueAt(i));
    return out;
  }

  /** Every field (pseudo-headers excluded) as [name, value] pairs: for logs and tests. */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.count; i++) out.push([this.nameAt(i), this.valueAt(i)]);
    return out;
  }

  /** Field `i` came never-indexed. */
  isSensitive(i: number): boolean {
    return this.sensitive !== null && this.sensitive[i] === 1;
  }
}

/** buf[s..] holds exactly the bytes of `name` (names here are already lower-case). */
function sameBytes(buf: Buffer, s: number, name: string): boolean {
  for (let j = 0; j < name.length; j++) if (buf[s + j] !== name.charCodeAt(j)) return false;
  return true;
}
