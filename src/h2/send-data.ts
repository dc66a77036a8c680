/**
 * Sending DATA under flow control (RFC 9113 §5.2, §6.9): what the windows allow leaves at once in
 * frames of at most 16 KiB, the rest waits on its stream, bounded per stream and per connection
 * (a peer that never opens its window holds no more than that). Waiting streams are served one
 * frame each in turn, and their producers are told (onWritable) once their queue has drained.
 */
import type { ConnectionState } from "./connection-state.ts";
import { encodeFields } from "./encode-fields.ts";
import type { H2Stream } from "./stream.ts";

/** Largest DATA frame sent (the peer may allow more; 16 KiB keeps frames interleaved). */
const MAX_DATA_FRAME = 16_384;

function frameLimit(c: ConnectionState, s: H2Stream): number {
  return Math.min(MAX_DATA_FRAME, c.peerMaxFrame, s.sendWindow, c.sendWindow);
}

/** Writes the header block the encoder just finished as HEADERS (+ CONTINUATION). */
export function writeHeaderBlock(c: ConnectionState, streamId: number, endStream: boolean): void {
  const len = c.encoder.finish();
  c.w.headers(streamId, endStream, c.encoder.buf, len, Math.min(c.peerMaxFrame, MAX_DATA_FRAME));
}

/** sendData's body: see ConnectionState.sendData. */
export function sendDataNow(c: ConnectionState, s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): boolean {
  if (s.queued === 0 && !c.w.blocked) {
    const first = start;
    while (start < end) {
      const n = Math.min(end - start, frameLimit(c, s));
      if (n <= 0) break;
      const last = start + n === end && endStream;
      dataFrame(c, s, last, buf, start, start + n);
      start += n;
    }
    if (start === end) {
      if (endStream && end === first) dataFrame(c, s, true, buf, start, start);
      return true;
    }
  }
  s.enqueue(buf, start, end);
  c.buffered += end - start;
  if (endStream) s.endQueued = true;
  wait(c, s);
  const ok = s.queued <= c.opts.streamBufferBytes && c.buffered <= c.opts.connectionBufferBytes;
  if (!ok) s.wantWritable = true;
  return ok;
}

function wait(c: ConnectionState, s: H2Stream): void {
  if (s.waiting) return;
  s.waiting = true;
  c.waiting.push(s);
}

function dataFrame(c: ConnectionState, s: H2Stream, endStream: boolean, buf: Buffer, start: number, end: number): void {
  const n = end - start;
  c.w.data(s.id, endStream, buf, start, end);
  s.sendWindow -= n;
  c.sendWindow -= n;
  c.guard.dataSent += n;
  if (endStream) c.endLocal(s);
}

/**
 * Sends what waits, one frame per stream in turn, while the connection window and the transport
 * allow; then tells producers whose queues drained that they may go on.
 */
export function flushWaiting(c: ConnectionState): void {
  let progress = true;
  while (progress && c.waiting.length > 0 && !c.w.blocked && !c.closed) {
    progress = false;
    for (let i = 0; i < c.waiting.length; i++) {
      const s = c.waiting[i]!;
      if (s.writable && !sendOne(c, s)) continue;
      progress = true;
      if (!s.writable || (s.queued === 0 && !s.endQueued)) {
        s.waiting = false;
        c.waiting.splice(i--, 1);
      }
    }
  }
  notifyWritable(c);
}

/** Sends one frame of `s`'s queue (or its end); false when its window (or the connection's) is shut. */
function sendOne(c: ConnectionState, s: H2Stream): boolean {
  if (s.queued === 0) {
    if (s.endQueued) finishStream(c, s);
    return true;
  }
  const limit = frameLimit(c, s);
  if (limit <= 0) return false;
  const bufs = s.qBufs!, starts = s.qStarts!, ends = s.qEnds!;
  const buf = bufs[0]!, start = starts[0]!, rangeEnd = ends[0]!;
  const n = Math.min(limit, rangeEnd - start);
  s.queued -= n;
  c.buffered -= n;
  if (start + n === rangeEnd) {
    bufs.shift();
    starts.shift();
    ends.shift();
  } else {
    starts[0] = start + n;
  }
  const last = s.queued === 0 && s.endQueued && s.trailersQueued === null;
  if (last) s.endQueued = false;
  dataFrame(c, s, last, buf, start, start + n);
  return true;
}

/** Queue empty, end owed: trailers, or an empty DATA frame with END_STREAM. */
function finishStream(c: ConnectionState, s: H2Stream): void {
  const trailers = s.trailersQueued;
  s.endQueued = false;
  s.trailersQueued = null;
  if (trailers === null) {
    c.w.data(s.id, true, EMPTY, 0, 0);
    c.endLocal(s);
    return;
  }
  c.encoder.begin();
  encodeFields(c.encoder, trailers);
  writeHeaderBlock(c, s.id, true);
  c.endLocal(s);
}

const EMPTY = Buffer.alloc(0);

function notifyWritable(c: ConnectionState): void {
  if (c.buffered > c.opts.connectionBufferBytes / 2) return;
  let ready: H2Stream[] | null = null;
  const t = c.streams;
  for (let i = 0; i < t.slotCount; i++) {
    const s = t.slot(i);
    if (s === null || !s.wantWritable || s.queued > c.opts.streamBufferBytes / 2) continue;
    s.wantWritable = false;
    (ready ??= []).push(s);
  }
  if (ready !== null) for (const s of ready) s.handler?.onWritable(s);
}
