/**
 * HEADERS and CONTINUATION (RFC 9113 §6.2, §6.10): a header block is assembled (bounded in frames
 * and bytes: CONTINUATION floods, CVE-2024-27316), always decoded (the HPACK table must follow the
 * peer's encoder whatever becomes of the stream), then it opens a request stream (server side),
 * carries a response head (client side), or trailers. What is malformed resets the stream.
 */
import { ErrorCode, Flag } from "./constants.ts";
import type { ConnectionState } from "./connection-state.ts";
import { connectionError, streamError } from "./h2-error.ts";
import { HeaderList } from "./header-list.ts";
import { buildSection } from "./header-rules.ts";
import { RequestMemo } from "./request-memo.ts";
import type { DecodedBlock } from "./hpack/index.ts";
import { isIdle } from "./on-data.ts";
import type { H2Stream } from "./stream.ts";

export function onHeaders(c: ConnectionState, flags: number, sid: number, b: Buffer, s: number, e: number): void {
  if (sid === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS_ON_STREAM_0");
  let p = s, end = e;
  if ((flags & Flag.PADDED) !== 0) {
    if (end - p < 1) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "HEADERS_LENGTH");
    const pad = b[p++]!;
    if (pad > end - p) throw connectionError(ErrorCode.PROTOCOL_ERROR, "BAD_PADDING");
    end -= pad;
  }
  c.hbSelfDependent = false;
  if ((flags & Flag.PRIORITY) !== 0) {
    if (end - p < 5) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "HEADERS_LENGTH");
    c.hbSelfDependent = (b.readUInt32BE(p) & 0x7fff_ffff) === sid;
    p += 5;
  }
  c.hbFlags = flags;
  c.hbFrames = 1;
  if ((flags & Flag.END_HEADERS) !== 0) return headerBlock(c, sid, b, p, end);
  c.hbStream = sid;
  c.hbLen = 0;
  append(c, b, p, end);
}

export function onContinuation(c: ConnectionState, flags: number, sid: number, b: Buffer, s: number, e: number): void {
  if (c.hbStream === 0 || sid !== c.hbStream) throw connectionError(ErrorCode.PROTOCOL_ERROR, "UNEXPECTED_CONTINUATION");
  if (++c.hbFrames > c.opts.maxHeaderBlockFrames) {
    c.opts.counters.continuationFloods++;
    throw connectionError(ErrorCode.ENHANCE_YOUR_CALM, "CONTINUATION_FLOOD");
  }
  append(c, b, s, e);
  if ((flags & Flag.END_HEADERS) === 0) return;
  const block = c.hbBuf!, len = c.hbLen;
  c.hbStream = 0;
  c.hbBuf = null;
  headerBlock(c, sid, block, 0, len);
}

/** Adds a fragment to the block being assembled; a block past the header list limit is a flood. */
function append(c: ConnectionState, b: Buffer, s: number, e: number): void {
  const n = e - s;
  if (c.hbLen + n > c.opts.maxHeaderListSize) {
    c.opts.counters.continuationFloods++;
    throw connectionError(ErrorCode.ENHANCE_YOUR_CALM, "HEADER_BLOCK_TOO_LARGE");
  }
  let buf = c.hbBuf;
  if (buf === null || buf.length < c.hbLen + n) {
    const grown = Buffer.allocUnsafe(Math.max(c.hbLen + n, 2 * (buf?.length ?? 2048)));
    if (buf !== null) buf.copy(grown, 0, 0, c.hbLen);
    c.hbBuf = buf = grown;
  }
  b.copy(buf, c.hbLen, s, e);
  c.hbLen += n;
}

function headerBlock(c: ConnectionState, sid: number, b: Buffer, s: number, e: number): void {
  const endStream = (c.hbFlags & Flag.END_STREAM) !== 0;
  if (c.role !== "server") return clientBlock(c, sid, c.decoder.decode(b, s, e), endStream);
  const version = c.decoder.table.version;
  kept.buf = null; // set afresh for each block (a throw may have left the last one's)
  // a new stream's block equal to the last kept one: decoding it would give the same fields and
  // leave the table as it is, so it is not decoded (trailers and errors take the decoding path)
  if (sid > c.lastPeerStreamId && c.requestMemo?.matches(version, b, s, e) === true) return serverBlock(c, sid, null, endStream);
  const block = c.decoder.decode(b, s, e);
  // a block that changed the table decodes differently next time: not kept
  if (c.decoder.table.version === version && !block.oversized) {
    kept.buf = b;
    kept.start = s;
    kept.end = e;
    kept.version = version;
  }
  serverBlock(c, sid, block, endStream);
  kept.buf = null;
}

/** The block serverBlock may keep in the connection's memo (null: none), set around the call. */
const kept = { buf: null as Buffer | null, start: 0, end: 0, version: 0 };

/** A malformed message (RFC 9113 §8.1.1): stream error PROTOCOL_ERROR, counted. */
function malformed(c: ConnectionState, sid: number, reason: string): void {
  c.opts.counters.malformed++;
  c.resetStreamId(sid, ErrorCode.PROTOCOL_ERROR, reason);
  if (c.isPeerStream(sid)) c.guard.fault(c);
}

const EMPTY = Buffer.alloc(0);
const NO_FIELDS = new Int32Array(0);
/**
 * The list the next request section is built into: a recycled stream's (whose owner is done with
 * it) or a new one. One for the thread: a section is built and handed to its stream in one go.
 */
let spareHead: HeaderList | null = null;

/** `block` null: the connection's request memo holds it (a new stream's block, see headerBlock). */
function serverBlock(c: ConnectionState, sid: number, block: DecodedBlock | null, endStream: boolean): void {
  if (!c.isPeerStream(sid)) throw connectionError(ErrorCode.PROTOCOL_ERROR, "EVEN_STREAM_ID");
  const st = c.stream(sid);
  if (st !== undefined) return trailers(c, st, block!, endStream);
  if (sid <= c.lastPeerStreamId) {
    if (c.wasReset(sid)) return; // trailers sent before the peer saw our RST_STREAM
    throw connectionError(ErrorCode.STREAM_CLOSED, "HEADERS_ON_CLOSED_STREAM");
  }
  c.lastPeerStreamId = sid;
  c.guard.peerStreams++;
  if (sid > c.acceptUpTo) return; // after our GOAWAY: not processed, the peer may retry elsewhere
  if (c.hbSelfDependent) return malformed(c, sid, "SELF_DEPENDENCY");
  if (c.peerActive >= c.opts.maxConcurrentStreams) {
    c.opts.counters.refusedStreams++;
    c.resetStreamId(sid, ErrorCode.REFUSED_STREAM, "MAX_CONCURRENT_STREAMS");
    return c.guard.fault(c);
  }
  if (block?.oversized === true) return headerListTooLarge(c, sid, endStream);
  const into = (spareHead ??= new HeaderList(EMPTY, NO_FIELDS, 0));
  const head = block === null ? c.requestMemo!.replay(into) : buildSection(block, "request", c.opts.enableConnectProtocol, into);
  if (typeof head === "string") return malformed(c, sid, head);
  if (kept.buf !== null) (c.requestMemo ??= new RequestMemo()).keep(kept.version, kept.buf, kept.start, kept.end, head);
  if (endStream && head.contentLength > 0) return malformed(c, sid, "CONTENT_LENGTH_MISMATCH");
  const stream = c.openStream(sid, true);
  // the stream keeps the list it opened with; a recycled stream's old one is built into next
  spareHead = stream.head;
  stream.head = head;
  stream.headReceived = true;
  stream.contentLength = head.contentLength;
  if (endStream) c.endRemote(stream);
  c.handler.onStream?.(stream, head, endStream);
}

/**
 * A request head past SETTINGS_MAX_HEADER_LIST_SIZE (an HPACK bomb expands a small block past
 * it): 431, as RFC 9113 §10.5.1 allows, and a GOAWAY ENHANCE_YOUR_CALM that lets the streams
 * already open finish (nginx closes such a connection outright).
 */
function headerListTooLarge(c: ConnectionState, sid: number, endStream: boolean): void {
  c.opts.counters.headerListTooLarge++;
  c.encoder.begin();
  c.encoder.status(431);
  const len = c.encoder.finish();
  c.w.headers(sid, true, c.encoder.buf, len, Math.min(c.peerMaxFrame, 16_384));
  if (!endStream) c.resetStreamId(sid, ErrorCode.NO_ERROR, "HEADER_LIST_TOO_LARGE");
  c.refuseNewStreams(ErrorCode.ENHANCE_YOUR_CALM, "HEADER_LIST_TOO_LARGE");
}

function clientBlock(c: ConnectionState, sid: number, block: DecodedBlock, endStream: boolean): void {
  const st = c.stream(sid);
  if (st === undefined) {
    if (c.isPeerStream(sid) || isIdle(c, sid)) throw connectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS_ON_IDLE_STREAM");
    if (c.wasReset(sid)) return;
    throw connectionError(ErrorCode.STREAM_CLOSED, "HEADERS_ON_CLOSED_STREAM");
  }
  if (st.headReceived) return trailers(c, st, block, endStream);
  if (!st.readable) throw streamError(sid, ErrorCode.STREAM_CLOSED, "HEADERS_ON_CLOSED_STREAM");
  if (block.oversized) {
    c.opts.counters.headerListTooLarge++;
    return c.resetStreamId(sid, ErrorCode.CANCEL, "HEADER_LIST_TOO_LARGE");
  }
  const head = buildSection(block, "response", false);
  if (typeof head === "string") return malformed(c, sid, head);
  if (head.status < 200) {
    if (endStream) return malformed(c, sid, "INTERIM_WITH_END_STREAM");
    return st.handler?.onHeaders(st, head, false);
  }
  st.headReceived = true;
  st.contentLength = head.contentLength;
  if (head.status === 204 || head.status === 304) st.noBody = true;
  if (endStream && head.contentLength > 0 && !st.noBody) return malformed(c, sid, "CONTENT_LENGTH_MISMATCH");
  if (endStream) c.endRemote(st);
  st.handler?.onHeaders(st, head, endStream);
}

/** A second header block on a stream: trailers, which must end it (RFC 9113 §8.1). */
function trailers(c: ConnectionState, st: H2Stream, block: DecodedBlock, endStream: boolean): void {
  if (!st.readable) throw streamError(st.id, ErrorCode.STREAM_CLOSED, "HEADERS_AFTER_END_STREAM");
  if (!endStream) return malformed(c, st.id, "TRAILERS_WITHOUT_END_STREAM");
  if (block.oversized) {
    c.opts.counters.headerListTooLarge++;
    return c.resetStreamId(st.id, ErrorCode.CANCEL, "HEADER_LIST_TOO_LARGE");
  }
  const t = buildSection(block, "trailers");
  if (typeof t === "string") return malformed(c, st.id, t);
  if (st.contentLength >= 0 && !st.noBody && st.received !== st.contentLength) return malformed(c, st.id, "CONTENT_LENGTH_MISMATCH");
  c.endRemote(st);
  st.handler?.onTrailers(st, t);
}
