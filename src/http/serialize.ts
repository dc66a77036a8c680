/**
 * Re-serialising heads for the other side from slices of the original head: kept fields go as
 * contiguous runs of raw bytes (original case, order and duplicates such as several Set-Cookie
 * preserved), dropped fields are skipped, new field lines are appended.
 */
import { FIELD_STRIDE, H, type HttpHead, type RequestHead, type ResponseHead } from "./head.ts";
import { reasonPhrase } from "./reason.ts";

/** Where serialised bytes go as ranges (implemented by the proxy's socket writer and queues). */
export interface ByteSink {
  write(buf: Buffer, start?: number, end?: number): boolean;
  /** latin1 */
  writeString(s: string): boolean;
  /**
   * Bytes it was handed and still keeps by reference (0: it keeps none), so a buffer it was handed
   * may be written again; a sink without it is taken to keep them.
   */
  readonly queued?: number;
}

const bit = (...ids: number[]) => ids.reduce((m, id) => m | (1 << id), 0);

/** Hop-by-hop fields (RFC 9110 §7.6.1, and h2c's HTTP2-Settings), never forwarded as received. */
export const HOP_BY_HOP = bit(
  H.CONNECTION, H.KEEP_ALIVE, H.PROXY_CONNECTION, H.TE, H.TRANSFER_ENCODING, H.UPGRADE, H.NAMED_IN_CONNECTION, H.HTTP2_SETTINGS,
);
/** The fields that delimit a body: dropped where no body follows (1xx, 204, 304) or rewritten. */
export const FRAMING_FIELDS = bit(H.CONTENT_LENGTH, H.TRANSFER_ENCODING);
/** The client-identity fields the proxy writes itself unless the client is a trusted proxy. */
export const FORWARDED_FIELDS = bit(H.X_FORWARDED_FOR, H.X_FORWARDED_PROTO, H.X_FORWARDED_HOST);

/**
 * The head to send upstream, as one new buffer: request line (with `target` instead of the
 * received one when given; always HTTP/1.1), every field whose id bit is not in `dropMask`, then
 * `extra` (complete field lines, latin1, each ending in CRLF) and the empty line.
 */
export function buildRequestHead(req: RequestHead, dropMask: number, extra: string, target: string | null): Buffer {
  const buf = req.buf;
  const line = target === null && req.versionMinor === 1 ? "" : `${req.method} ${target ?? req.target} HTTP/1.1\r\n`;
  const lineLen = line === "" ? req.fieldsStart - req.start : line.length;
  const out = Buffer.allocUnsafe(lineLen + req.end - req.fieldsStart + extra.length);
  let o = line === "" ? buf.copy(out, 0, req.start, req.fieldsStart) : out.write(line, 0, "latin1");
  const f = req.fields, last = req.end - 2;
  let runStart = -1;
  for (let i = 0; i <= req.count; i++) {
    const s = i < req.count ? f[i * FIELD_STRIDE]! : last;
    const drop = i === req.count || (dropMask & (1 << f[i * FIELD_STRIDE + 4]!)) !== 0;
    if (drop && runStart >= 0) {
      o += buf.copy(out, o, runStart, s);
      runStart = -1;
    } else if (!drop && runStart < 0) runStart = s;
  }
  if (extra.length > 0) o += out.write(extra, o, "latin1");
  out[o++] = 13;
  out[o++] = 10;
  return out.subarray(0, o);
}

/**
 * Writes the head to send upstream into `sink`, without building a buffer: the request line (as
 * received, or with `target` / HTTP/1.1 when needed), the kept fields as runs of the received
 * bytes, then `extra` (field lines, latin1, each ending in CRLF) and the empty line.
 */
export function emitRequestHead(req: RequestHead, dropMask: number, extra: string, target: string | null, sink: ByteSink): boolean {
  emitRequestStart(req, dropMask, target, sink);
  if (extra.length > 0) sink.writeString(extra);
  return sink.writeString("\r\n");
}

/**
 * The request line and the kept field lines, without the empty line: the caller appends its own
 * field lines (as separate pieces, so nothing is concatenated per request) and then the CRLF.
 */
export function emitRequestStart(req: RequestHead, dropMask: number, target: string | null, sink: ByteSink): void {
  if (target === null && req.versionMinor === 1 && req.framed) sink.write(req.buf, req.start, req.fieldsStart);
  else {
    // pieces, not a string made per request (an HTTP/2 request's line is always written this way)
    sink.writeString(req.method);
    sink.writeString(" ");
    sink.writeString(target ?? req.target);
    sink.writeString(" HTTP/1.1\r\n");
  }
  emitFields(req, dropMask, sink);
}

/**
 * Writes the response head for the client into `sink`: the received bytes unchanged when nothing
 * needs changing (the common case), else an HTTP/1.1 status line, the fields not in `dropMask`
 * and `extra` field lines. Returns the sink's verdict (false = pause the source).
 */
export function emitResponseHead(res: ResponseHead, dropMask: number, extra: string, sink: ByteSink): boolean {
  const buf = res.buf;
  if (!res.framed) {
    sink.writeString(`HTTP/1.1 ${res.status} ${reasonPhrase(res.status)}\r\n`);
    emitFieldList(res, dropMask, sink, false);
    return sink.writeString(`${extra}\r\n`);
  }
  if (res.versionMinor === 1 && (res.seen & dropMask) === 0 && extra.length === 0) return sink.write(buf, res.start, res.end);
  if (res.versionMinor !== 1) sink.writeString("HTTP/1.1");
  sink.write(buf, res.versionMinor === 1 ? res.start : res.start + 8, res.fieldsStart);
  // with nothing to add, the last run carries the empty line too: no string to write
  emitFields(res, dropMask, sink, extra.length === 0);
  return extra.length === 0 ? true : sink.writeString(`${extra}\r\n`);
}

/** Writes the kept field lines (with their CRLF) as runs of the original bytes; `withEnd` adds the empty line. */
export function emitFields(head: HttpHead, dropMask: number, sink: ByteSink, withEnd = false): void {
  if (!head.framed) return emitFieldList(head, dropMask, sink, withEnd);
  const f = head.fields, n = head.count, last = head.end - 2;
  let runStart = -1;
  for (let i = 0; i <= n; i++) {
    const s = i < n ? f[i * FIELD_STRIDE]! : last;
    const drop = i === n || (dropMask & (1 << f[i * FIELD_STRIDE + 4]!)) !== 0;
    if (drop && runStart >= 0) {
      const toEnd = i === n && withEnd;
      sink.write(head.buf, runStart, toEnd ? head.end : s);
      if (toEnd) return;
      runStart = -1;
    } else if (!drop && runStart < 0) runStart = s;
  }
  if (withEnd) sink.write(head.buf, last, head.end);
}

/** buf[start, end) framed as one chunk. */
export function emitChunk(sink: ByteSink, buf: Buffer, start: number, end: number): boolean {
  sink.writeString(`${(end - start).toString(16)}\r\n`);
  sink.write(buf, start, end);
  return sink.writeString("\r\n");
}

/** The last chunk, `trailers` (field lines with CRLF) if any, and the empty line. */
export function emitLastChunk(sink: ByteSink, trailers: Buffer | null): boolean {
  if (trailers === null) return sink.writeString("0\r\n\r\n");
  sink.writeString("0\r\n");
  sink.write(trailers, 0, trailers.length);
  return sink.writeString("\r\n");
}

/**
 * emitFields for a head from an HTTP/2 field list: each kept field as "name: value" CRLF, and
 * HTTP/2's split Cookie fields as one line, joined with "; " (RFC 9113 §8.2.3).
 */
function emitFieldList(head: HttpHead, dropMask: number, sink: ByteSink, withEnd: boolean): void {
  const f = head.fields, buf = head.buf;
  let cookieDone = false;
  for (let i = 0; i < head.count; i++) {
    const o = i * FIELD_STRIDE, id = f[o + 4]!;
    if ((dropMask & (1 << id)) !== 0) continue;
    if (id === H.COOKIE) {
      if (!cookieDone) sink.writeString(`cookie: ${head.getAll("cookie").join("; ")}\r\n`);
      cookieDone = true;
      continue;
    }
    sink.write(buf, f[o]!, f[o + 1]!);
    sink.writeString(": ");
    sink.write(buf, f[o + 2]!, f[o + 3]!);
    sink.writeString("\r\n");
  }
  if (withEnd) sink.writeString("\r\n");
}
