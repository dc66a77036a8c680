/**
 * The head for an HTTP/1.1 request's backend, assembled in one pass into a shared arena
 * (head-arena.ts) and handed to the connection's writer as one range: the request line and the
 * kept fields copied from the received bytes, then the fields the proxy adds. Written piece by
 * piece it was a dozen sink calls per request, each queued as a range (the writer is corked while
 * a client packet is handled) and gathered again into the writer's scratch for the send.
 *
 * Only the common shape comes here (see forwarded.ts): a client that is not a trusted proxy, no
 * upgrade offer, a head of at most MAX_ARENA_HEAD bytes. The rest go piece by piece.
 */
import { BodyKind, FIELD_STRIDE, H, type ByteSink, type RequestHead } from "../http/index.ts";
import { headRing as ring, type HeadTail } from "./head-arena.ts";
import { REQUEST_ID_LENGTH, formatInto } from "./request-id.ts";

/** True when the received request line can go as it came. */
const lineAsReceived = (req: RequestHead, target: string | null) => target === null && req.versionMinor === 1;

/** Bytes the head takes at most; more than MAX_ARENA_HEAD means the caller writes it piece by piece. */
export function h1HeadBytes(req: RequestHead, tail: HeadTail): number {
  const line = lineAsReceived(req, tail.target) ? req.fieldsStart - req.start : req.method.length + (tail.target ?? req.target).length + 12;
  const hostLen = req.hostStart < 0 ? 0 : req.hostEnd - req.hostStart;
  // the received fields (an upper bound of the kept ones), ours, framing (at most 40), Host, the empty line
  return line + req.end - req.fieldsStart + tail.identity.length + 20 + 2 * hostLen + 16 + REQUEST_ID_LENGTH +
    tail.added.length + 40 + 8 + Math.max((tail.host ?? "").length, tail.address.length) + 2;
}

/**
 * Writes the whole head (request line, kept fields, identity lines, X-Forwarded-Host, the generated
 * X-Request-Id, the hooks' lines, framing, Host, the empty line) into `sink` as one range, the same
 * bytes emitRequestStart and the piecewise lines give; `bytes` is h1HeadBytes's answer.
 */
export function emitH1Head(req: RequestHead, dropMask: number, tail: HeadTail, bytes: number, sink: ByteSink): boolean {
  ring.room(bytes);
  const a = ring.arena, buf = req.buf, f = req.fields, n = req.count;
  const start = ring.at;
  let o: number;
  if (lineAsReceived(req, tail.target)) o = ring.copy(buf, req.start, req.fieldsStart, start);
  else {
    o = ring.put(req.method, start);
    a[o++] = 32;
    o = ring.put(tail.target ?? req.target, o);
    o = ring.put(" HTTP/1.1\r\n", o);
  }
  // kept fields as runs of the received bytes (each field's line runs to the next one's start)
  const last = req.end - 2;
  let runStart = -1;
  for (let i = 0; i <= n; i++) {
    const s = i < n ? f[i * FIELD_STRIDE]! : last;
    const drop = i === n || (dropMask & (1 << f[i * FIELD_STRIDE + 4]!)) !== 0;
    if (drop && runStart >= 0) {
      o = ring.copy(buf, runStart, s, o);
      runStart = -1;
    } else if (!drop && runStart < 0) runStart = s;
  }
  o = ring.put(tail.identity, o);
  if (req.hostStart >= 0) {
    o = ring.put("x-forwarded-host: ", o);
    o = ring.copy(buf, req.hostStart, req.hostEnd, o);
    a[o++] = 13;
    a[o++] = 10;
  }
  if (tail.generatedId !== null) {
    o = ring.put("x-request-id: ", o);
    formatInto(tail.generatedId, a, o);
    o += REQUEST_ID_LENGTH;
    a[o++] = 13;
    a[o++] = 10;
  }
  if (tail.added.length > 0) o = ring.put(tail.added, o);
  if (req.bodyKind === BodyKind.Chunked) o = ring.put("transfer-encoding: chunked\r\n", o);
  else if (req.lengthRewrite) o = ring.put(`content-length: ${req.contentLength}\r\n`, o);
  if (tail.host !== null || !req.has(H.HOST)) o = putHost(req, tail, o);
  a[o++] = 13;
  a[o++] = 10;
  return ring.hand(sink, start, o);
}

/** The Host line: the hooks' value, else (an HTTP/1.0 request without one) the absolute-form target's authority or the backend's address. */
function putHost(req: RequestHead, tail: HeadTail, o: number): number {
  o = ring.put("host: ", o);
  if (tail.host !== null) o = ring.put(tail.host, o);
  else if (req.hostStart >= 0) o = ring.copy(req.buf, req.hostStart, req.hostEnd, o);
  else o = ring.put(tail.address, o);
  const a = ring.arena;
  a[o++] = 13;
  a[o++] = 10;
  return o;
}
