/**
 * One HTTP/2 stream (RFC 9113 §5.1). The connection owns the state machine; a stream holds its
 * state, its windows both ways, the response or request data waiting for window, and the handler
 * its owner (the engine's exchange) set to hear about it. Idle and reserved streams are never
 * instantiated: a stream exists from the HEADERS that opens it until it is closed.
 */
import type { HeaderList } from "./header-list.ts";

export const enum StreamState {
  Open = 0,
  /** This side sent END_STREAM; the peer is still sending. */
  HalfClosedLocal = 1,
  /** The peer sent END_STREAM; this side is still sending. */
  HalfClosedRemote = 2,
  Closed = 3,
}

/** What a stream's owner is told, synchronously, while the connection reads. */
export interface H2StreamHandler {
  /**
   * Client side: a response head (interim 1xx ones first, then the final one). `endStream` when
   * it ends the response.
   */
  onHeaders(stream: H2Stream, headers: HeaderList, endStream: boolean): void;
  /** Body bytes buf[start, end), valid only during the call; `endStream` on the last piece. */
  onData(stream: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): void;
  /** Trailers: the message ends with them. */
  onTrailers(stream: H2Stream, trailers: HeaderList): void;
  /**
   * The stream ended abnormally: reset by the peer, malformed, refused by a GOAWAY (`code`
   * REFUSED_STREAM: safe to retry elsewhere), or the connection closed. Called at most once.
   */
  onReset(stream: H2Stream, code: number, reason: string): void;
  /** sendData had returned false; the stream can take more now. */
  onWritable(stream: H2Stream): void;
  /**
   * The stream closed, normally or not (after onReset when it was abnormal); not called for a
   * stream closed by `reset`, whose caller knows. Its owner may then `recycle` it.
   */
  onClosed?(stream: H2Stream): void;
}

export class H2Stream {
  state = StreamState.Open;
  handler: H2StreamHandler | null = null;
  /** Free for the owner (e.g. the exchange this stream carries). */
  user: unknown = null;
  /** The final head was received (the request, or a non-1xx response). */
  headReceived = false;
  /** This side sent its head. */
  headSent = false;
  /** Received content-length (-1: none) and DATA bytes so far (RFC 9113 §8.1.1). */
  contentLength = -1;
  received = 0;
  /** A response to HEAD, or a 204/304: its content-length says nothing about DATA. */
  noBody = false;

  /** What the peer lets this side send (may go negative after a SETTINGS change, RFC 9113 §6.9.2). */
  sendWindow: number;
  /** What this side still lets the peer send; `unacked`: delivered bytes not yet given back. */
  recvWindow: number;
  unacked = 0;
  /** The owner paused reading: delivered bytes are not given back until it resumes. */
  paused = false;

  /** Outgoing DATA waiting for window (ranges of the caller's buffers), and what follows it. */
  qBufs: Buffer[] | null = null;
  qStarts: number[] | null = null;
  qEnds: number[] | null = null;
  queued = 0;
  endQueued = false;
  trailersQueued: readonly string[] | null = null;
  /** sendData returned false: onWritable is owed once the queue drains. */
  wantWritable = false;
  /** In the connection's list of streams with DATA waiting. */
  waiting = false;
  /**
   * The field section this stream opened with (server side), which the owner's request head reads;
   * it goes back to the connection with the stream when the owner recycles both (see
   * ConnectionState.recycle), so its buffers serve a later stream's head.
   */
  head: HeaderList | null = null;

  constructor(public id: number, sendWindow: number, recvWindow: number) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** A recycled stream made a fresh one (as the constructor leaves it) for stream `id`. */
  reopen(id: number, sendWindow: number, recvWindow: number): void {
    this.id = id;
    this.state = StreamState.Open;
    this.handler = null;
    this.user = null;
    this.headReceived = false;
    this.headSent = false;
    this.contentLength = -1;
    this.received = 0;
    this.noBody = false;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
    this.unacked = 0;
    this.paused = false;
    this.clearQueue();
    this.wantWritable = false;
    this.waiting = false;
  }

  /** This side may still send on it. */
  get writable(): boolean {
    return this.state === StreamState.Open || this.state === StreamState.HalfClosedRemote;
  }

  /** The peer may still send on it. */
  get readable(): boolean {
    return this.state === StreamState.Open || this.state === StreamState.HalfClosedLocal;
  }

  /** Keeps buf[start, end) to send when window opens (the caller must not reuse the buffer). */
  enqueue(buf: Buffer, start: number, end: number): void {
    if (this.qBufs === null) {
      this.qBufs = [];
      this.qStarts = [];
      this.qEnds = [];
    }
    this.qBufs.push(buf);
    this.qStarts!.push(start);
    this.qEnds!.push(end);
    this.queued += end - start;
  }

  /** Drops everything waiting (the stream closed). */
  clearQueue(): void {
    this.qBufs = this.qStarts = this.qEnds = null;
    this.queued = 0;
    this.endQueued = false;
    this.trailersQueued = null;
  }
}

/**
 * Streams their owners recycled (closed, no longer referenced), for the next streams to reuse with
 * their head's buffers: an HTTP/2 request then allocates no stream, field list or offset table.
 * One list for the thread (connections run one at a time), bounded so it never holds much.
 */
const free: H2Stream[] = [];
const FREE_MAX = 1024;
/** A recycled stream's head keeps its own buffer up to this size (a rare huge head is let go). */
const KEEP_HEAD_BYTES = 4096;

/** A stream object for stream `id`: a recycled one made fresh, or a new one. */
export function takeStream(id: number, sendWindow: number, recvWindow: number): H2Stream {
  const s = free.pop();
  if (s === undefined) return new H2Stream(id, sendWindow, recvWindow);
  s.reopen(id, sendWindow, recvWindow);
  return s;
}

/** Keeps closed stream `s` for reuse (the caller holds no reference to it or its head any more). */
export function recycleStream(s: H2Stream): void {
  if (s.state !== StreamState.Closed || s.waiting || free.length >= FREE_MAX) return;
  s.handler = null;
  s.user = null;
  const head = s.head;
  if (head !== null && head.own !== null && head.own.length > KEEP_HEAD_BYTES) s.head = null;
  free.push(s);
}
