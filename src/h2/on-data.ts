/**
 * DATA frames (RFC 9113 §6.1): padding, flow control both ways (§6.9: the whole payload counts;
 * the connection window is given back on delivery, a stream's when its owner has consumed the
 * bytes unless it paused), stream states (§5.1), and content-length against the bytes (§8.1.1).
 */
import { ErrorCode, Flag } from "./constants.ts";
import type { ConnectionState } from "./connection-state.ts";
import { connectionError, streamError } from "./h2-error.ts";
import type { H2Stream } from "./stream.ts";

/** A stream id the peer has not used yet (idle, RFC 9113 §5.1). */
export function isIdle(c: ConnectionState, id: number): boolean {
  return c.isPeerStream(id) ? id > c.lastPeerStreamId : id >= c.nextLocalStreamId;
}

/** Gives the connection window back once half of it is used up. */
export function creditConnection(c: ConnectionState, n: number): void {
  c.connUnacked += n;
  const target = Math.max(c.opts.connectionWindowSize, 65_535);
  if (c.connUnacked < target / 2) return;
  c.w.windowUpdate(0, c.connUnacked);
  c.recvWindow += c.connUnacked;
  c.connUnacked = 0;
}

/** Gives a stream's window back once half of it is used up, unless its owner paused it. */
export function creditStream(c: ConnectionState, s: H2Stream, n: number): void {
  if (n === 0 || !s.readable) return;
  s.unacked += n;
  if (s.paused || s.unacked < c.opts.initialWindowSize / 2) return;
  c.w.windowUpdate(s.id, s.unacked);
  s.recvWindow += s.unacked;
  s.unacked = 0;
}

export function onData(c: ConnectionState, flags: number, sid: number, b: Buffer, s: number, e: number): void {
  if (sid === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "DATA_ON_STREAM_0");
  const len = e - s;
  let ds = s, de = e;
  if ((flags & Flag.PADDED) !== 0) {
    if (len < 1 || b[s]! >= len) throw connectionError(ErrorCode.PROTOCOL_ERROR, "BAD_PADDING");
    ds = s + 1;
    de = e - b[s]!;
  }
  if (len > c.recvWindow) throw connectionError(ErrorCode.FLOW_CONTROL_ERROR, "CONNECTION_WINDOW_EXCEEDED");
  c.recvWindow -= len;
  creditConnection(c, len);
  const st = c.stream(sid);
  if (st === undefined || !st.readable) {
    if (st === undefined && isIdle(c, sid)) throw connectionError(ErrorCode.PROTOCOL_ERROR, "DATA_ON_IDLE_STREAM");
    if (st === undefined && c.wasReset(sid)) return; // sent before the peer saw our RST_STREAM
    throw streamError(sid, ErrorCode.STREAM_CLOSED, "DATA_ON_CLOSED_STREAM");
  }
  if (!st.headReceived) throw streamError(sid, ErrorCode.PROTOCOL_ERROR, "DATA_BEFORE_HEADERS");
  if (len > st.recvWindow) throw streamError(sid, ErrorCode.FLOW_CONTROL_ERROR, "STREAM_WINDOW_EXCEEDED");
  st.recvWindow -= len;
  const n = de - ds, end = (flags & Flag.END_STREAM) !== 0;
  if (n === 0 && !end) c.guard.spend("empty");
  st.received += n;
  if (st.contentLength >= 0 && !st.noBody && (st.received > st.contentLength || (end && st.received !== st.contentLength))) {
    c.opts.counters.malformed++;
    throw streamError(sid, ErrorCode.PROTOCOL_ERROR, "CONTENT_LENGTH_MISMATCH");
  }
  if (end) c.endRemote(st);
  else creditStream(c, st, len - n); // padding: nobody consumes it
  st.handler?.onData(st, b, ds, de, end);
  if (!end) creditStream(c, st, n);
}
