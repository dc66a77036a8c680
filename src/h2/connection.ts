/**
 * One HTTP/2 connection (RFC 9113), socket-agnostic: bytes come in through `feed`, go out through
 * an H2Output, and time comes in through `tick`. The same class serves both sides: "server" for a
 * client connection on a listener (peer streams are requests), "client" for a connection to a
 * backend (this side opens multiplexed streams with `request`).
 *
 * Everything a peer can do wrong ends in a RST_STREAM or a GOAWAY with the RFC's error code and a
 * count in `counters`; nothing a peer sends throws out of `feed`. The inbound rules live in
 * read-frames.ts, on-headers.ts, on-data.ts and on-control.ts, sending in send-data.ts, and the
 * protections against floods and stalls in guard.ts; they work on this class's fields.
 */
import { DEFAULT_TABLE_SIZE, DEFAULT_WINDOW, ErrorCode, MAX_STREAM_ID, PREFACE, SettingId } from "./constants.ts";
import { FrameWriter, type H2Output } from "./frame-writer.ts";
import { H2Error } from "./h2-error.ts";
import type { HeaderList } from "./header-list.ts";
import { HpackDecoder, HpackEncoder } from "./hpack/index.ts";
import { h2Options, type H2Options } from "./options.ts";
import { encodeFields } from "./encode-fields.ts";
import { readFrames } from "./read-frames.ts";
import { flushWaiting, sendDataNow, writeHeaderBlock } from "./send-data.ts";
import { ControlGuard } from "./guard.ts";
import { H2Stream, StreamState, type H2StreamHandler } from "./stream.ts";

export type H2Role = "server" | "client";

/** Connection-level events for the connection's owner. */
export interface H2SessionHandler {
  /** Server side: a request opened `stream`. Set `stream.handler` to hear about its body and end. */
  onStream?(stream: H2Stream, head: HeaderList, endStream: boolean): void;
  /** The peer sent GOAWAY: streams above `lastStreamId` were not processed (they get REFUSED_STREAM). */
  onGoaway?(code: number, lastStreamId: number, debug: string): void;
  /** The connection is over (transport closing or closed); called once. */
  onClose?(code: number, reason: string): void;
}

/** A request this side sends (client role). CONNECT carries only `authority`. */
export interface H2Request {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  /** Other fields as name, value, name, value...; connection-specific ones are dropped. */
  fields?: readonly string[];
}

/** PING payload of the graceful shutdown's round trip (RFC 9113 §6.8: two GOAWAYs, a PING between). */
export const DRAIN_PING = Buffer.from("fulcrum\0", "latin1");

export class H2Connection {
  readonly opts: H2Options;
  readonly w: FrameWriter;
  readonly decoder: HpackDecoder;
  readonly encoder: HpackEncoder;
  readonly guard: ControlGuard;
  streams = new Map<number, H2Stream>();
  /** Streams the peer opened that are not closed, and those this side opened. */
  peerActive = 0;
  localActive = 0;
  /** Highest stream id the peer used; next id this side will use. */
  lastPeerStreamId = 0;
  nextLocalStreamId: number;

  /** Server side: preface bytes still to check. */
  prefaceLeft: number;
  /** The peer's first SETTINGS arrived; our SETTINGS frames not yet acknowledged. */
  gotSettings = false;
  settingsUnacked = 1;
  /** The peer's settings (RFC 9113 §6.5.2 initial values until its SETTINGS arrive). */
  peerMaxStreams = Number.POSITIVE_INFINITY;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrame = 16_384;
  peerMaxHeaderList = Number.POSITIVE_INFINITY;
  peerExtendedConnect = false;

  /** Connection flow control: what the peer lets us send, and what we still let it send. */
  sendWindow = DEFAULT_WINDOW;
  recvWindow = DEFAULT_WINDOW;
  connUnacked = 0;

  /** Header block being assembled (HEADERS then CONTINUATION): its stream (0: none), flags, bytes. */
  hbStream = 0;
  hbFlags = 0;
  hbBuf: Buffer | null = null;
  hbLen = 0;
  hbFrames = 0;
  /** A HEADERS frame depended on its own stream (RFC 9113 §5.3.1): reset once the block is decoded. */
  hbSelfDependent = false;

  /** An incomplete frame carried over to the next feed. */
  pend: Buffer | null = null;
  pendLen = 0;

  /** Streams this side reset recently: frames still in flight on them are ignored (RFC 9113 §5.1). */
  resetIds: Int32Array | null = null;
  resetNext = 0;

  /** Streams with DATA waiting for window, and the bytes waiting across them. */
  waiting: H2Stream[] = [];
  buffered = 0;

  /** GOAWAY sent (streams above `acceptUpTo` are ignored) / received; the drain PING is out. */
  goawaySent = false;
  acceptUpTo = MAX_STREAM_ID;
  goawayReceived = false;
  draining = false;
  /** The connection is finished: nothing more is read or sent. */
  closed = false;
  private depth = 0;

  constructor(readonly role: H2Role, out: H2Output, readonly handler: H2SessionHandler = {}, opts: Partial<H2Options> = {}) {
    this.opts = h2Options(opts);
    if (this.opts.initialWindowSize < DEFAULT_WINDOW) throw new RangeError("initialWindowSize below 65535");
    this.w = new FrameWriter(out);
    this.decoder = new HpackDecoder(DEFAULT_TABLE_SIZE, this.opts.maxHeaderListSize);
    this.encoder = new HpackEncoder(this.opts.encoderTableSize);
    this.guard = new ControlGuard(this.opts);
    this.prefaceLeft = role === "server" ? PREFACE.length : 0;
    this.nextLocalStreamId = role === "client" ? 1 : 2;
    this.opts.counters.connections++;
    this.enter();
    if (role === "client") this.w.raw(PREFACE);
    this.sendSettings();
    this.leave();
  }

  private sendSettings(): void {
    const o = this.opts;
    const pairs = [SettingId.MAX_CONCURRENT_STREAMS, o.maxConcurrentStreams, SettingId.MAX_HEADER_LIST_SIZE, o.maxHeaderListSize];
    if (this.role === "client") pairs.push(SettingId.ENABLE_PUSH, 0);
    if (o.initialWindowSize !== DEFAULT_WINDOW) pairs.push(SettingId.INITIAL_WINDOW_SIZE, o.initialWindowSize);
    if (o.maxFrameSize !== 16_384) pairs.push(SettingId.MAX_FRAME_SIZE, o.maxFrameSize);
    this.w.settings(pairs);
    if (o.connectionWindowSize > DEFAULT_WINDOW) {
      this.w.windowUpdate(0, o.connectionWindowSize - DEFAULT_WINDOW);
      this.recvWindow = o.connectionWindowSize;
    }
  }

  // ---- turns: output leaves in one write at the end of the outermost call ----

  enter(): void {
    this.depth++;
  }

  leave(): void {
    if (--this.depth === 0) this.w.flush();
  }

  /** Bytes from the transport. */
  feed(buf: Buffer): void {
    if (this.closed) return;
    this.enter();
    try {
      readFrames(this, buf);
    } catch (e) {
      this.fail(e);
    } finally {
      this.leave();
    }
  }

  /** A protocol error thrown while reading: a stream reset, or the end of the connection. */
  fail(e: unknown): void {
    if (!(e instanceof H2Error)) return this.goaway(ErrorCode.INTERNAL_ERROR, "INTERNAL", e);
    if (e.streamId === 0) return this.goaway(e.code, e.reason);
    this.resetStreamId(e.streamId, e.code, e.reason);
    if (this.isPeerStream(e.streamId)) this.guard.fault(this);
  }

  /** The transport has room again (e.g. the socket's drain event). */
  onWriterDrained(): void {
    if (this.closed) return;
    this.w.blocked = false;
    this.enter();
    flushWaiting(this);
    this.leave();
  }

  /** The transport closed: every open stream is reset, the owner is told. */
  transportClosed(): void {
    if (this.closed) return;
    this.finish(ErrorCode.CANCEL, "TRANSPORT_CLOSED", false);
  }

  /** Periodic housekeeping with the owner's clock: flood budget, stalls, SETTINGS timeout. */
  tick(nowMs: number): void {
    if (this.closed) return;
    this.enter();
    this.guard.tick(this, nowMs);
    this.leave();
  }

  // ---- streams ----

  stream(id: number): H2Stream | undefined {
    return this.streams.get(id);
  }

  /** Opens a stream object (state Open) and counts it. */
  openStream(id: number, byPeer: boolean): H2Stream {
    const s = new H2Stream(id, this.peerInitialWindow, this.opts.initialWindowSize);
    this.streams.set(id, s);
    if (byPeer) this.peerActive++;
    else this.localActive++;
    this.opts.counters.streams++;
    return s;
  }

  /** The peer ended its side (END_STREAM received). */
  endRemote(s: H2Stream): void {
    if (s.state === StreamState.Open) s.state = StreamState.HalfClosedRemote;
    else if (s.state === StreamState.HalfClosedLocal) this.close(s);
  }

  /** This side ended its side (END_STREAM sent). */
  endLocal(s: H2Stream): void {
    if (s.state === StreamState.Open) s.state = StreamState.HalfClosedLocal;
    else if (s.state === StreamState.HalfClosedRemote) this.close(s);
  }

  /** Closes a stream for good; tells its handler when `code` says it ended abnormally. */
  close(s: H2Stream, code = -1, reason = ""): void {
    if (s.state === StreamState.Closed) return;
    s.state = StreamState.Closed;
    this.streams.delete(s.id);
    if (this.isPeerStream(s.id)) this.peerActive--;
    else this.localActive--;
    this.buffered -= s.queued;
    s.clearQueue();
    if (code >= 0) s.handler?.onReset(s, code, reason);
    this.closeIfIdle();
  }

  /** After a GOAWAY either way, the connection ends once its last stream has. */
  closeIfIdle(): void {
    if (this.closed || this.streams.size > 0) return;
    if (this.goawaySent && !this.draining) return this.finish(ErrorCode.NO_ERROR, "DRAINED", true);
    if (this.goawayReceived && !this.goawaySent) this.goaway(ErrorCode.NO_ERROR, "PEER_GOAWAY");
  }

  isPeerStream(id: number): boolean {
    return (id & 1) === (this.role === "server" ? 1 : 0);
  }

  /** Sends RST_STREAM and closes the stream (if it is still known), telling its handler. */
  resetStreamId(id: number, code: number, reason: string): void {
    this.w.rstStream(id, code);
    this.opts.counters.streamErrors++;
    this.rememberReset(id);
    const s = this.streams.get(id);
    if (s !== undefined) this.close(s, code, reason);
  }

  private rememberReset(id: number): void {
    const r = (this.resetIds ??= new Int32Array(16));
    r[this.resetNext] = id;
    this.resetNext = (this.resetNext + 1) & 15;
  }

  /** This side reset stream `id` lately. */
  wasReset(id: number): boolean {
    return this.resetIds !== null && this.resetIds.includes(id);
  }

  // ---- the API for the engine ----

  /** Server side: sends the response head (lower-case names; connection-specific fields dropped). */
  respond(s: H2Stream, status: number, fields: readonly string[], endStream: boolean): void {
    if (this.closed || !s.writable || s.headSent) return;
    this.enter();
    this.encoder.begin();
    this.encoder.status(status);
    encodeFields(this.encoder, fields);
    this.sendHead(s, endStream);
    this.leave();
  }

  /** Sends an interim (1xx) response head; the final one follows with `respond`. */
  informational(s: H2Stream, status: number, fields: readonly string[] = []): void {
    if (this.closed || !s.writable || s.headSent) return;
    this.enter();
    this.encoder.begin();
    this.encoder.status(status);
    encodeFields(this.encoder, fields);
    writeHeaderBlock(this, s.id, false);
    this.leave();
  }

  /**
   * Client side: opens a stream and sends the request head. null when the peer's
   * SETTINGS_MAX_CONCURRENT_STREAMS is reached, a GOAWAY was exchanged, or ids ran out: use
   * another connection.
   */
  request(handler: H2StreamHandler, req: H2Request, endStream: boolean): H2Stream | null {
    if (this.closed || this.goawaySent || this.goawayReceived || this.localActive >= this.peerMaxStreams) return null;
    if (this.nextLocalStreamId > MAX_STREAM_ID) return null;
    const s = this.openStream(this.nextLocalStreamId, false);
    this.nextLocalStreamId += 2;
    s.handler = handler;
    s.noBody = req.method === "HEAD";
    this.enter();
    this.encoder.begin();
    this.encoder.field(":method", req.method);
    if (req.method !== "CONNECT") {
      this.encoder.field(":scheme", req.scheme);
      this.encoder.field(":path", req.path);
    }
    this.encoder.field(":authority", req.authority);
    if (req.fields) encodeFields(this.encoder, req.fields);
    this.sendHead(s, endStream);
    this.leave();
    return s;
  }

  private sendHead(s: H2Stream, endStream: boolean): void {
    writeHeaderBlock(this, s.id, endStream);
    s.headSent = true;
    if (endStream) this.endLocal(s);
  }

  /**
   * Sends body bytes buf[start, end) (the caller must not reuse `buf`: what waits for window is
   * kept by reference). Returns false when the stream or the connection holds more than its buffer
   * allows: stop producing until the handler's onWritable. A closed stream takes and drops it.
   */
  sendData(s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): boolean {
    if (this.closed || !s.writable || s.endQueued) return true;
    this.enter();
    const ok = sendDataNow(this, s, buf, start, end, endStream);
    this.leave();
    return ok;
  }

  /** Ends the stream with trailers (after any DATA still waiting). */
  sendTrailers(s: H2Stream, fields: readonly string[]): void {
    if (this.closed || !s.writable || s.endQueued) return;
    this.enter();
    if (s.queued > 0) {
      s.trailersQueued = fields;
      s.endQueued = true;
    } else {
      this.encoder.begin();
      encodeFields(this.encoder, fields);
      writeHeaderBlock(this, s.id, true);
      this.endLocal(s);
    }
    this.leave();
  }

  /** Resets a stream (RST_STREAM `code`); its handler is not told (the caller knows). */
  reset(s: H2Stream, code: number = ErrorCode.CANCEL): void {
    if (this.closed || s.state === StreamState.Closed) return;
    this.enter();
    s.handler = null;
    this.resetStreamId(s.id, code, "LOCAL_RESET");
    this.leave();
  }

  /** Stops (pause) or restarts (resume) giving the peer window for `s`: backpressure on its body. */
  pause(s: H2Stream): void {
    s.paused = true;
  }

  resume(s: H2Stream): void {
    if (!s.paused) return;
    s.paused = false;
    if (s.unacked === 0 || !s.readable || this.closed) return;
    this.enter();
    this.w.windowUpdate(s.id, s.unacked);
    s.recvWindow += s.unacked;
    s.unacked = 0;
    this.leave();
  }

  /** Sends a PING (a liveness check); the peer's ACK is not reported. */
  ping(payload: Buffer = Buffer.alloc(8)): void {
    if (this.closed) return;
    this.enter();
    this.w.ping(false, payload, 0);
    this.leave();
  }

  /**
   * Graceful close (drain, SIGTERM): GOAWAY, so the peer opens no new stream here, while the
   * streams in flight finish; the transport closes after the last one. A server sends GOAWAY with
   * the largest id first and the real last id a PING round trip later, so requests already on the
   * wire are not lost (RFC 9113 §6.8).
   */
  shutdown(): void {
    if (this.closed || this.goawaySent) return;
    this.enter();
    this.goawaySent = true;
    this.opts.counters.goawaysSent++;
    if (this.role === "server") {
      this.draining = true;
      this.w.goaway(MAX_STREAM_ID, ErrorCode.NO_ERROR, "");
      this.w.ping(false, DRAIN_PING, 0);
    } else {
      this.acceptUpTo = this.lastPeerStreamId;
      this.w.goaway(this.lastPeerStreamId, ErrorCode.NO_ERROR, "");
      this.closeIfIdle();
    }
    this.leave();
  }

  /** The drain PING came back: the final GOAWAY names the last stream this side will process. */
  drainAcked(): void {
    if (!this.draining) return;
    this.draining = false;
    this.acceptUpTo = this.lastPeerStreamId;
    this.w.goaway(this.lastPeerStreamId, ErrorCode.NO_ERROR, "");
    this.closeIfIdle();
  }

  /**
   * Stops taking new streams with `code` (e.g. ENHANCE_YOUR_CALM after an oversized header list):
   * GOAWAY with the last stream id processed; streams in flight finish, then the transport closes.
   */
  refuseNewStreams(code: number, reason: string): void {
    if (this.closed) return;
    this.enter();
    if (!this.goawaySent) this.opts.counters.goawaysSent++;
    this.goawaySent = true;
    this.draining = false;
    this.acceptUpTo = this.lastPeerStreamId;
    this.w.goaway(this.lastPeerStreamId, code, reason);
    this.closeIfIdle();
    this.leave();
  }

  /**
   * Ends the connection with an error: GOAWAY `code` (debug data: `reason`), every stream reset,
   * transport closed after the flush. `cause` is kept for the owner's log.
   */
  goaway(code: number, reason: string, cause?: unknown): void {
    if (this.closed) return;
    this.lastError = cause;
    this.enter();
    this.w.goaway(this.lastPeerStreamId, code, reason);
    this.opts.counters.goawaysSent++;
    if (code !== ErrorCode.NO_ERROR) this.opts.counters.connectionErrors++;
    this.finish(code, reason, true);
    this.leave();
  }

  /** What made the last INTERNAL_ERROR (a handler that threw), for the owner's log. */
  lastError: unknown = undefined;
  /** The code and reason the connection ended with (-1 while open). */
  closeCode = -1;
  closeReason = "";

  /** Marks the connection done, resets what is open, closes the transport, tells the owner. */
  finish(code: number, reason: string, endTransport: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.closeReason = reason;
    const open = [...this.streams.values()];
    for (const s of open) this.close(s, code === ErrorCode.NO_ERROR ? ErrorCode.CANCEL : code, reason);
    if (endTransport) this.w.end();
    this.handler.onClose?.(code, reason);
  }
}
