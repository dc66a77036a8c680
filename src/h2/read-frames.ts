/**
 * Splits incoming bytes into frames (RFC 9113 §4.1) and hands each to its rule: the server checks
 * the client preface first, the first frame must be SETTINGS (§3.4), a header block admits nothing
 * but its CONTINUATION frames (§6.10), and no frame may exceed SETTINGS_MAX_FRAME_SIZE (§4.2).
 * A frame cut by a packet boundary is copied until it is whole; complete frames are read in place.
 */
import { ErrorCode, FRAME_HEADER, Flag, FrameType, PREFACE } from "./constants.ts";
import type { ConnectionState } from "./connection-state.ts";
import { H2Error, connectionError } from "./h2-error.ts";
import { onData } from "./on-data.ts";
import { onContinuation, onHeaders } from "./on-headers.ts";
import { onGoaway, onPing, onPriority, onRstStream, onSettings, onWindowUpdate } from "./on-control.ts";

function length24(b: Buffer, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

function checkSize(c: ConnectionState, len: number): void {
  if (len > c.opts.maxFrameSize) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "FRAME_TOO_LARGE");
}

export function readFrames(c: ConnectionState, buf: Buffer): void {
  let pos = 0;
  if (c.prefaceLeft > 0) {
    pos = checkPreface(c, buf);
    if (c.prefaceLeft > 0) return;
  }
  if (c.pend !== null) {
    pos = fillPending(c, buf, pos);
    if (c.pend !== null) return;
  }
  const end = buf.length;
  while (pos < end && !c.closed) {
    if (end - pos < FRAME_HEADER) return stash(c, buf, pos);
    const len = length24(buf, pos);
    checkSize(c, len);
    if (end - pos - FRAME_HEADER < len) return stash(c, buf, pos);
    dispatch(c, buf, pos, len);
    pos += FRAME_HEADER + len;
  }
}

/** The client preface, possibly split across packets (RFC 9113 §3.4). */
function checkPreface(c: ConnectionState, buf: Buffer): number {
  const off = PREFACE.length - c.prefaceLeft, n = Math.min(c.prefaceLeft, buf.length);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== PREFACE[off + i]) throw connectionError(ErrorCode.PROTOCOL_ERROR, "BAD_PREFACE");
  }
  c.prefaceLeft -= n;
  return n;
}

/** Keeps buf[pos..] (an incomplete frame) until the rest arrives. */
function stash(c: ConnectionState, buf: Buffer, pos: number): void {
  const have = buf.length - pos;
  const total = have >= FRAME_HEADER ? FRAME_HEADER + length24(buf, pos) : FRAME_HEADER;
  c.pend = Buffer.allocUnsafe(total);
  buf.copy(c.pend, 0, pos, buf.length);
  c.pendLen = have;
}

/** Completes the carried-over frame from buf[pos..]; dispatches it when whole. */
function fillPending(c: ConnectionState, buf: Buffer, pos: number): number {
  let p = c.pend!;
  if (c.pendLen < FRAME_HEADER) {
    const n = Math.min(FRAME_HEADER - c.pendLen, buf.length - pos);
    buf.copy(p, c.pendLen, pos, pos + n);
    c.pendLen += n;
    pos += n;
    if (c.pendLen < FRAME_HEADER) return pos;
    const len = length24(p, 0);
    checkSize(c, len);
    if (len > 0) {
      const q = Buffer.allocUnsafe(FRAME_HEADER + len);
      p.copy(q, 0, 0, FRAME_HEADER);
      c.pend = p = q;
    }
  }
  const n = Math.min(p.length - c.pendLen, buf.length - pos);
  buf.copy(p, c.pendLen, pos, pos + n);
  c.pendLen += n;
  pos += n;
  if (c.pendLen === p.length) {
    c.pend = null;
    c.pendLen = 0;
    dispatch(c, p, 0, p.length - FRAME_HEADER);
  }
  return pos;
}

/** One frame; a stream error resets its stream and reading goes on with the next frame. */
function dispatch(c: ConnectionState, b: Buffer, at: number, len: number): void {
  try {
    frame(c, b, at, len);
  } catch (e) {
    if (!(e instanceof H2Error) || e.streamId === 0) throw e;
    c.fail(e);
  }
}

function frame(c: ConnectionState, b: Buffer, at: number, len: number): void {
  const type = b[at + 3]!, flags = b[at + 4]!, sid = b.readUInt32BE(at + 5) & 0x7fff_ffff;
  const s = at + FRAME_HEADER, e = s + len;
  if (!c.gotSettings && (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0)) {
    throw connectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_NOT_FIRST");
  }
  if (c.hbStream !== 0 && type !== FrameType.CONTINUATION) {
    throw connectionError(ErrorCode.PROTOCOL_ERROR, "HEADER_BLOCK_INTERRUPTED");
  }
  switch (type) {
    case FrameType.DATA: return onData(c, flags, sid, b, s, e);
    case FrameType.HEADERS: return onHeaders(c, flags, sid, b, s, e);
    case FrameType.PRIORITY: return onPriority(c, sid, b, s, e);
    case FrameType.RST_STREAM: return onRstStream(c, sid, b, s, e);
    case FrameType.SETTINGS: return onSettings(c, flags, sid, b, s, e);
    case FrameType.PUSH_PROMISE:
      // servers never receive one; this client disabled push (SETTINGS_ENABLE_PUSH 0)
      throw connectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE");
    case FrameType.PING: return onPing(c, flags, sid, b, s, e);
    case FrameType.GOAWAY: return onGoaway(c, sid, b, s, e);
    case FrameType.WINDOW_UPDATE: return onWindowUpdate(c, sid, b, s, e);
    case FrameType.CONTINUATION: return onContinuation(c, flags, sid, b, s, e);
    default: return; // unknown frame types are ignored (RFC 9113 §4.1, §5.5)
  }
}
