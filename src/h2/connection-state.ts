/**
 * The state of one HTTP/2 connection and the rules every part of it shares: stream bookkeeping
 * (RFC 9113 §5.1 states, counts against SETTINGS_MAX_CONCURRENT_STREAMS), resets, GOAWAY and the
 * end of the connection. The inbound rules (read-frames.ts, on-*.ts), sending (send-data.ts) and
 * the protections (guard.ts) work on these fields; H2Connection (connection.ts) adds the API.
 */
import { DEFAULT_TABLE_SIZE, DEFAULT_WINDOW, ErrorCode, MAX_STREAM_ID, PREFACE, SettingId } from "./constants.ts";
import type { H2Role, H2SessionHandler } from "./events.ts";
import { FrameWriter, type H2Output } from "./frame-writer.ts";
import { H2Error } from "./h2-error.ts";
import { HpackDecoder, HpackEncoder } from "./hpack/index.ts";
import type { RequestMemo } from "./request-memo.ts";
import { h2Options, type H2Options } from "./options.ts";
import { ControlGuard } from "./guard.ts";
import { takeStream, type H2Stream, StreamState } from "./stream.ts";
import { StreamTable } from "./stream-table.ts";

export class ConnectionState {
  readonly opts: H2Options;
  readonly w: FrameWriter;
  readonly decoder: HpackDecoder;
  readonly encoder: HpackEncoder;
  readonly guard: ControlGuard;
  readonly streams = new StreamTable();
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
  /** Server side: the client's last request block that left the decoder's table unchanged (request-memo.ts). */
  requestMemo: RequestMemo | null = null;
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
    else if (o.enableConnectProtocol) pairs.push(SettingId.ENABLE_CONNECT_PROTOCOL, 1);
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

  /** A protocol error thrown while reading: a stream reset, or the end of the connection. */
  fail(e: unknown): void {
    if (!(e instanceof H2Error)) return this.goaway(ErrorCode.INTERNAL_ERROR, "INTERNAL", e);
    if (e.streamId === 0) return this.goaway(e.code, e.reason);
    this.resetStreamId(e.streamId, e.code, e.reason);
    if (this.isPeerStream(e.streamId)) this.guard.fault(this);
  }

  // ---- streams ----

  stream(id: number): H2Stream | undefined {
    return this.streams.get(id);
  }

  /** Opens a stream object (state Open) and counts it. */
  openStream(id: number, byPeer: boolean): H2Stream {
    const s = takeStream(id, this.peerInitialWindow, this.opts.initialWindowSize);
    this.streams.add(s);
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
    const handler = s.handler;
    if (code >= 0) handler?.onReset(s, code, reason);
    // last, and only to the owner still holding it (onReset may have recycled the stream): it may recycle it now
    if (s.handler === handler) handler?.onClosed?.(s);
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
    const open = this.streams.list();
    for (const s of open) this.close(s, code === ErrorCode.NO_ERROR ? ErrorCode.CANCEL : code, reason);
    if (endTransport) this.w.end();
    this.handler.onClose?.(code, reason);
  }
}
