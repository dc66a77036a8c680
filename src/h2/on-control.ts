/**
 * The control frames (RFC 9113 §6.3-§6.9): SETTINGS (validated, acknowledged, applied to the
 * windows of open streams), PING, GOAWAY, WINDOW_UPDATE, RST_STREAM and PRIORITY (parsed,
 * checked, otherwise ignored: RFC 9113 deprecates the priority tree).
 */
import { DRAIN_PING, ErrorCode, Flag, MAX_FRAME_LIMIT, MAX_WINDOW, SettingId } from "./constants.ts";
import type { ConnectionState } from "./connection-state.ts";
import { connectionError, streamError } from "./h2-error.ts";
import { isIdle } from "./on-data.ts";
import { flushWaiting } from "./send-data.ts";
import { StreamState } from "./stream.ts";

export function onSettings(c: ConnectionState, flags: number, sid: number, b: Buffer, s: number, e: number): void {
  if (sid !== 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_ON_STREAM");
  if ((flags & Flag.ACK) !== 0) {
    if (e !== s) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS_ACK_WITH_PAYLOAD");
    if (c.settingsUnacked > 0) c.settingsUnacked--;
    return;
  }
  if ((e - s) % 6 !== 0) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS_LENGTH");
  if (c.gotSettings) c.guard.spend("settings");
  c.gotSettings = true;
  for (let p = s; p < e; p += 6) applySetting(c, b.readUInt16BE(p), b.readUInt32BE(p + 2));
  c.w.settingsAck();
  flushWaiting(c);
  c.handler.onSettings?.();
}

function applySetting(c: ConnectionState, id: number, v: number): void {
  switch (id) {
    case SettingId.HEADER_TABLE_SIZE: return c.encoder.setPeerTableSize(v);
    case SettingId.ENABLE_PUSH:
      // only 0 or 1; and a server may only ever say 0 (RFC 9113 §6.5.2)
      if (v > 1 || (v === 1 && c.role === "client")) throw connectionError(ErrorCode.PROTOCOL_ERROR, "BAD_ENABLE_PUSH");
      return;
    case SettingId.MAX_CONCURRENT_STREAMS:
      c.peerMaxStreams = v;
      return;
    case SettingId.INITIAL_WINDOW_SIZE: return setInitialWindow(c, v);
    case SettingId.MAX_FRAME_SIZE:
      if (v < 16_384 || v > MAX_FRAME_LIMIT) throw connectionError(ErrorCode.PROTOCOL_ERROR, "BAD_MAX_FRAME_SIZE");
      c.peerMaxFrame = v;
      return;
    case SettingId.MAX_HEADER_LIST_SIZE:
      c.peerMaxHeaderList = v;
      return;
    case SettingId.ENABLE_CONNECT_PROTOCOL:
      if (v > 1) throw connectionError(ErrorCode.PROTOCOL_ERROR, "BAD_ENABLE_CONNECT_PROTOCOL");
      c.peerExtendedConnect = v === 1;
      return;
    default: return; // unknown settings are ignored (§6.5.2)
  }
}

/** A new SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's window by the difference (§6.9.2). */
function setInitialWindow(c: ConnectionState, v: number): void {
  if (v > MAX_WINDOW) throw connectionError(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_TOO_LARGE");
  const delta = v - c.peerInitialWindow;
  c.peerInitialWindow = v;
  for (const st of c.streams.list()) {
    st.sendWindow += delta;
    if (st.sendWindow > MAX_WINDOW) throw connectionError(ErrorCode.FLOW_CONTROL_ERROR, "STREAM_WINDOW_OVERFLOW");
  }
}

export function onPing(c: ConnectionState, flags: number, sid: number, b: Buffer, s: number, e: number): void {
  if (e - s !== 8) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "PING_LENGTH");
  if (sid !== 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "PING_ON_STREAM");
  if ((flags & Flag.ACK) !== 0) {
    if (c.draining && b.compare(DRAIN_PING, 0, 8, s, e) === 0) c.drainAcked();
    return;
  }
  c.guard.spend("ping");
  c.w.ping(true, b, s);
}

export function onGoaway(c: ConnectionState, sid: number, b: Buffer, s: number, e: number): void {
  if (sid !== 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY_ON_STREAM");
  if (e - s < 8) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY_LENGTH");
  const last = b.readUInt32BE(s) & 0x7fff_ffff, code = b.readUInt32BE(s + 4);
  const debug = b.toString("latin1", s + 8, Math.min(e, s + 8 + 256));
  c.opts.counters.goawaysReceived++;
  c.goawayReceived = true;
  // streams this side opened above `last` were never processed: safe to retry elsewhere
  for (const st of c.streams.list()) {
    if (!c.isPeerStream(st.id) && st.id > last) c.close(st, ErrorCode.REFUSED_STREAM, "GOAWAY");
  }
  c.handler.onGoaway?.(code, last, debug);
  c.closeIfIdle();
}

export function onWindowUpdate(c: ConnectionState, sid: number, b: Buffer, s: number, e: number): void {
  if (e - s !== 4) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE_LENGTH");
  const inc = b.readUInt32BE(s) & 0x7fff_ffff;
  if (sid === 0) {
    if (inc === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "ZERO_WINDOW_INCREMENT");
    if (c.sendWindow + inc > MAX_WINDOW) throw connectionError(ErrorCode.FLOW_CONTROL_ERROR, "CONNECTION_WINDOW_OVERFLOW");
    c.sendWindow += inc;
    return flushWaiting(c);
  }
  const st = c.stream(sid);
  if (st === undefined) {
    if (isIdle(c, sid)) throw connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE_ON_IDLE_STREAM");
    return; // closed lately: its WINDOW_UPDATE may still be on the way (§5.1)
  }
  if (inc === 0) throw streamError(sid, ErrorCode.PROTOCOL_ERROR, "ZERO_WINDOW_INCREMENT");
  if (st.sendWindow + inc > MAX_WINDOW) throw streamError(sid, ErrorCode.FLOW_CONTROL_ERROR, "STREAM_WINDOW_OVERFLOW");
  st.sendWindow += inc;
  flushWaiting(c);
}

export function onRstStream(c: ConnectionState, sid: number, b: Buffer, s: number, e: number): void {
  if (e - s !== 4) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM_LENGTH");
  if (sid === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM_ON_STREAM_0");
  const st = c.stream(sid);
  if (st === undefined) {
    if (isIdle(c, sid)) throw connectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM_ON_IDLE_STREAM");
    return;
  }
  const code = b.readUInt32BE(s);
  // the peer gave up before this side finished answering: the rapid-reset pattern when it dominates
  const premature = c.role === "server" && (st.state === StreamState.Open || st.state === StreamState.HalfClosedRemote);
  c.opts.counters.peerResets++;
  c.close(st, code, "PEER_RESET");
  if (premature) c.guard.fault(c);
}

export function onPriority(c: ConnectionState, sid: number, b: Buffer, s: number, e: number): void {
  if (sid === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY_ON_STREAM_0");
  // a stream error needs a stream to reset: on an idle or closed one it becomes a connection error
  const open = c.stream(sid) !== undefined;
  if (e - s !== 5) {
    if (open) throw streamError(sid, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY_LENGTH");
    throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY_LENGTH");
  }
  if ((b.readUInt32BE(s) & 0x7fff_ffff) === sid) {
    if (open) throw streamError(sid, ErrorCode.PROTOCOL_ERROR, "SELF_DEPENDENCY");
    throw connectionError(ErrorCode.PROTOCOL_ERROR, "SELF_DEPENDENCY");
  }
  c.guard.spend("empty");
}
