/**
 * A parsed message head kept as its raw bytes plus a compact offset table, so nothing is decoded
 * or allocated per header on the hot path and re-serialising is a copy of slices (see serialize.ts).
 */

/** How the message body is delimited (RFC 9112 §6.3). */
export const enum BodyKind {
  None = 0,
  Length = 1,
  Chunked = 2,
  /** A response that ends when the backend closes the connection. */
  Close = 3,
  /** After a 101 (or a CONNECT 2xx) the connection carries raw bytes. */
  Tunnel = 4,
}

/** Ids of the fields the engine acts on; 0 = any other field. Bit `1 << id` is set in `HttpHead.seen`. */
export const H = {
  OTHER: 0, CONTENT_LENGTH: 1, TRANSFER_ENCODING: 2, CONNECTION: 3, KEEP_ALIVE: 4, PROXY_CONNECTION: 5,
  TE: 6, UPGRADE: 7, HOST: 8, EXPECT: 9, X_FORWARDED_FOR: 10, X_FORWARDED_PROTO: 11, X_FORWARDED_HOST: 12,
  X_REQUEST_ID: 13, FORWARDED: 14, TRAILER: 15,
  /** An `OTHER` field named in Connection: hop-by-hop, never forwarded. */
  NAMED_IN_CONNECTION: 16,
  /** The h2c upgrade's settings (RFC 9113 §3.1, deprecated): connection-specific, never forwarded. */
  HTTP2_SETTINGS: 17,
  /**
   * Cookie, as HTTP/2 heads mark it (the HTTP/1.1 parser leaves it OTHER): HTTP/2 may split it into
   * several fields, which must be joined with "; " before they go to HTTP/1.1 (RFC 9113 §8.2.3).
   */
  COOKIE: 18,
  /** Envoy's x-forwarded-client-cert: only Fulcrum (or a trusted proxy) may say who the client's certificate named. */
  X_FORWARDED_CLIENT_CERT: 19,
} as const;

/** Stride of `HttpHead.fields`: nameStart, nameEnd, valueStart, valueEnd, id. */
export const FIELD_STRIDE = 5;

/** Fields common to request and response heads. Offsets index `buf`. */
export class HttpHead {
  /** The buffer holding the head at [start, end): start line, field lines, empty line. All offsets index it. */
  buf: Buffer;
  start: number;
  end: number;
  /** FIELD_STRIDE ints per field line. */
  fields: Int32Array;
  count: number;
  /** Bitmask of `1 << H.*` for the known fields present. */
  seen = 0;
  /** Offset of the first field line (just after the start line's CRLF). */
  fieldsStart: number;
  versionMinor = 1;
  bodyKind: BodyKind = BodyKind.None;
  /** The Content-Length value when the field is present (whatever `bodyKind` says); -1 otherwise. */
  contentLength = -1;
  /**
   * Content-Length came as more than one (identical) line or with leading zeros: whoever forwards
   * the head drops those lines and writes one canonical `content-length` (RFC 9110 §8.6).
   */
  lengthRewrite = false;
  /** True unless the message asks to close the connection after it (RFC 9112 §9.3). */
  keepAlive = true;
  /** Connection listed "upgrade" and an Upgrade field is present. */
  upgrade = false;
  /** Connection fields are present and say exactly "keep-alive" (nothing else). */
  connectionIsKeepAlive = false;
  /**
   * `buf` holds the message's HTTP/1.1 field lines, so kept fields re-serialise as runs of its bytes.
   * False for a head built from an HTTP/2 field list: names and values only, written one by one.
   */
  framed = true;

  constructor(buf: Buffer, start: number, end: number, fields: Int32Array, count: number, fieldsStart: number) {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.fields = fields;
    this.count = count;
    this.fieldsStart = fieldsStart;
  }

  /**
   * Makes this head a fresh one at buf[start, end): every field as the constructor leaves it. For a
   * parser that reuses its heads (see MessageParser.reuseHeads).
   */
  protected reinit(buf: Buffer, start: number, end: number, fields: Int32Array, count: number, fieldsStart: number): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.fields = fields;
    this.count = count;
    this.fieldsStart = fieldsStart;
    this.seen = 0;
    this.versionMinor = 1;
    this.bodyKind = BodyKind.None;
    this.contentLength = -1;
    this.lengthRewrite = false;
    this.keepAlive = true;
    this.upgrade = false;
    this.connectionIsKeepAlive = false;
    this.framed = true;
  }

  /** True when a field with id `id` (one of H) is present. */
  has(id: number): boolean {
    return (this.seen & (1 << id)) !== 0;
  }

  /** The name of field `i` as sent (original case). */
  nameAt(i: number): string {
    const f = this.fields, o = i * FIELD_STRIDE;
    return this.buf.toString("latin1", f[o]!, f[o + 1]!);
  }

  /** The value of field `i`, without surrounding whitespace, decoded as latin1. */
  valueAt(i: number): string {
    const f = this.fields, o = i * FIELD_STRIDE;
    return this.buf.toString("latin1", f[o + 2]!, f[o + 3]!);
  }

  /** Index of the first field named `lowerName` (lower-case), or -1. */
  indexOf(lowerName: string, from = 0): number {
    const f = this.fields, b = this.buf, len = lowerName.length;
    for (let i = from; i < this.count; i++) {
      const s = f[i * FIELD_STRIDE]!;
      if (f[i * FIELD_STRIDE + 1]! - s !== len) continue;
      if (equalsLower(b, s, lowerName)) return i;
    }
    return -1;
  }

  /** The first value of field `lowerName`, or undefined. */
  get(lowerName: string): string | undefined {
    const i = this.indexOf(lowerName);
    return i < 0 ? undefined : this.valueAt(i);
  }

  /** Every value of field `lowerName`, in order (e.g. several Set-Cookie). */
  getAll(lowerName: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(lowerName); i >= 0; i = this.indexOf(lowerName, i + 1)) out.push(this.valueAt(i));
    return out;
  }

  /** Every field as [name, value] pairs (allocates: for logging and tests, not the hot path). */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.count; i++) out.push([this.nameAt(i), this.valueAt(i)]);
    return out;
  }
}

/** A request head (RFC 9112 §3). */
export class RequestHead extends HttpHead {
  method = "";
  /** The request-target exactly as received. */
  target = "";
  /**
   * Where the path begins in `target`: 0 for origin-form, just past the authority for
   * absolute-form (the path may then be empty: "/"), -1 for "*" and CONNECT's authority-form.
   */
  pathStart = 0;
  /**
   * Offsets in `buf` of the host the request names (RFC 9112 §3.2.2, §7.2): the Host value, or an
   * absolute-form target's authority when a HTTP/1.0 request has no Host (-1 when neither).
   */
  hostStart = -1;
  hostEnd = -1;
  private hostValue: string | null = null;
  isConnect = false;
  expectContinue = false;
  /**
   * The protocol an HTTP/2 extended CONNECT asks for (RFC 8441 `:protocol`, e.g. "websocket"): the
   * request then stands for an HTTP/1.1 GET with that Upgrade. "" otherwise.
   */
  protocol = "";

  /** This head made a fresh one (as `new RequestHead(...)` would be) for the parser's next request. */
  reuse(buf: Buffer, start: number, end: number, fields: Int32Array, count: number, fieldsStart: number): this {
    this.reinit(buf, start, end, fields, count, fieldsStart);
    this.method = "";
    this.target = "";
    this.pathStart = 0;
    this.hostStart = -1;
    this.hostEnd = -1;
    this.hostValue = null;
    this.isConnect = false;
    this.expectContinue = false;
    this.protocol = "";
    return this;
  }

  /** The host the request names, as at hostStart ("" when none), decoded on first use. */
  get host(): string {
    if (this.hostValue === null) this.hostValue = this.hostStart < 0 ? "" : this.buf.toString("latin1", this.hostStart, this.hostEnd);
    return this.hostValue;
  }
}

/** A response head (RFC 9112 §4). */
export class ResponseHead extends HttpHead {
  status = 0;

  /** This head made a fresh one (as `new ResponseHead(...)` would be) for the parser's next response. */
  reuse(buf: Buffer, start: number, end: number, fields: Int32Array, count: number, fieldsStart: number): this {
    this.reinit(buf, start, end, fields, count, fieldsStart);
    this.status = 0;
    return this;
  }

  /** The reason phrase as received. */
  reason(): string {
    const lineEnd = this.fieldsStart - 2, s = this.start + 13;
    return lineEnd > s ? this.buf.toString("latin1", s, lineEnd) : "";
  }
}

/**
 * True when buf[s..] equals `lower` ignoring ASCII case. Only for token bytes: `| 0x20` folds
 * letters and leaves every other tchar distinct from a lower-case letter.
 */
export function equalsLower(buf: Uint8Array, s: number, lower: string): boolean {
  for (let j = 0; j < lower.length; j++) if ((buf[s + j]! | 0x20) !== lower.charCodeAt(j)) return false;
  return true;
}
