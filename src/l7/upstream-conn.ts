/**
 * One keep-alive HTTP/1.1 connection to a backend, owned by the pool while idle and by one
 * exchange at a time otherwise (as its UpstreamLeg). It carries its own response parser (reused
 * across exchanges) and tells its current handler about data, drain and close.
 */
import type { Socket } from "bun";
import { LbError } from "../errors.ts";
import { BodyKind, ResponseParser, emitChunk, emitLastChunk, type HttpLimits, type MessageHandler, type ResponseHead } from "../http/index.ts";
import { emitUpstreamHead } from "./forwarded.ts";
import { REQUEST_ID_LENGTH } from "./request-id.ts";
import { SocketWriter, type WriterOwner } from "./writer.ts";
import type { ConnGroup } from "./conn-group.ts";
import { trailerLines, type Trailers } from "./trailers.ts";
import type { LegOwner, UpstreamLeg } from "./upstream-leg.ts";

/** What an exchange implements to use an upstream connection. */
export interface UpstreamHandler extends MessageHandler<ResponseHead> {
  /** Raw bytes from the backend (the handler feeds `conn.parser` or tunnels them). */
  onUpstreamData(conn: UpstreamConn, data: Buffer): void;
  /** Everything written to the backend has been flushed: resume the client side. */
  onUpstreamDrain(conn: UpstreamConn): void;
  /**
   * The connection failed or closed. `err` is UPSTREAM_CONNECT_FAILED / UPSTREAM_TIMEOUT (connect),
   * or UPSTREAM_RESET, retryable only when no response byte had arrived. A clean EOF also lands
   * here: feed it to `conn.parser.feedEof()` first.
   */
  onUpstreamClose(conn: UpstreamConn, err: LbError): void;
}

export const enum ConnState { Connecting, Open, Closed }

/** Where a connection goes back when idle: the pool. */
export interface ConnOwner {
  /** Called exactly once, when the connection leaves the open/connecting states (its slot frees). */
  closed(conn: UpstreamConn): void;
  /** Takes the connection back: kept idle when `reusable`, else closed. */
  release(conn: UpstreamConn, reusable: boolean): void;
  /** Takes back a connection whose exchange failed (kept only if nothing of it was sent). */
  abandon(conn: UpstreamConn): void;
}

export class UpstreamConn implements WriterOwner, UpstreamLeg {
  state = ConnState.Connecting;
  socket: Socket<UpstreamConn> | null = null;
  handler: UpstreamHandler | null;
  readonly writer = new SocketWriter(this);
  readonly parser: ResponseParser;
  /** Exchanges this connection has served before the current one. */
  uses = 0;
  /** Response bytes received since the current handler took the connection. */
  received = 0;
  /** writer.sent when the current exchange took the connection. */
  sentAtAssign = 0;
  /** When it went idle (pool clock, ms). */
  idleSince = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
  /** On its group's idle stack now. */
  pooled = false;
  /** Where sendHead formats a generated X-Request-Id (the writer keeps it by reference until sent). */
  private idBuf = Buffer.allocUnsafe(REQUEST_ID_LENGTH);
  /** The current request body goes chunked (re-framed as it came, or an HTTP/2 body of no declared length). */
  private chunked = false;

  /**
   * `key` is the pool key (address, plus the TLS server name when TLS is on); `group` is what the
   * connection counts against (its pool's max_connections) for its whole life.
   */
  constructor(
    readonly address: string, readonly key: string, handler: UpstreamHandler, limits: HttpLimits,
    private readonly owner: ConnOwner, readonly group: ConnGroup,
  ) {
    this.handler = handler;
    this.parser = new ResponseParser(handler, limits);
    this.parser.reuseHeads(); // one exchange at a time: a response head is done with before the next
  }

  /** Hands the connection to a new exchange (after an idle period). */
  assign(handler: UpstreamHandler): void {
    this.writer.uncork();
    this.sentAtAssign = this.writer.sent;
    this.handler = handler;
    this.parser.handler = handler;
    this.received = 0;
    this.uses++;
  }

  get reused(): boolean {
    return this.uses > 0;
  }

  // ---- UpstreamLeg: one exchange's request in HTTP/1.1 framing ----

  sendHead(ex: LegOwner): void {
    const req = ex.req;
    this.parser.expect(req.method);
    this.parser.raw = ex.client.rawChunks(req);
    this.chunked = req.bodyKind === BodyKind.Chunked;
    // Queued bytes may hold the last head's id by reference: never overwrite it (the pool closes a
    // connection released with bytes queued, so this only guards that rule).
    if (this.writer.queued > 0) this.idBuf = Buffer.allocUnsafe(REQUEST_ID_LENGTH);
    emitUpstreamHead(ex, ex.client.identity, this.address, ex.generatedIdParts, this.idBuf, ex.upgradeOffer, this.writer);
  }

  sendBody(buf: Buffer, start: number, end: number): boolean {
    return this.chunked ? emitChunk(this.writer, buf, start, end) : this.writer.write(buf, start, end);
  }

  sendEnd(trailers: Trailers | null): void {
    if (!this.chunked) return;
    emitLastChunk(this.writer, trailers === null || Buffer.isBuffer(trailers) ? trailers : trailerLines(trailers));
  }

  cork(): void {
    this.writer.cork();
  }

  uncork(): void {
    this.writer.uncork();
  }

  tunnelWrite(buf: Buffer): boolean {
    return this.write(buf);
  }

  tunnelEnd(): void {
    this.writer.end();
  }

  release(reusable: boolean): void {
    this.owner.release(this, reusable);
  }

  abandon(): void {
    this.owner.abandon(this);
  }

  /** True while nothing of the current exchange has reached the backend. */
  get untouched(): boolean {
    return this.writer.sent === this.sentAtAssign;
  }

  /** Writes (or queues until open); false when the caller should pause its source. */
  write(data: Buffer): boolean {
    return this.writer.write(data, 0, data.length);
  }

  private paused = false;

  /** Stops reading from the backend (the client is not keeping up). */
  pause(): void {
    if (this.paused || this.socket === null) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused || this.socket === null) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Closes now; pending handler callbacks are suppressed (also those of a feed in progress). */
  destroy(): void {
    this.handler = null;
    this.parser.halt();
    this.writer.discard();
    if (this.state === ConnState.Closed) return;
    this.state = ConnState.Closed;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.end();
    this.owner.closed(this);
  }

  onOpen(socket: Socket<UpstreamConn>): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.state === ConnState.Closed) {
      socket.end();
      return;
    }
    this.state = ConnState.Open;
    this.socket = socket;
    this.writer.attach(socket as Socket<unknown>);
  }

  onData(data: Buffer): void {
    this.received += data.length;
    if (this.handler !== null) this.handler.onUpstreamData(this, data);
    else this.destroy(); // bytes on an idle connection: the backend is confused, never reuse it
  }

  onWriterDrained(): void {
    this.handler?.onUpstreamDrain(this);
  }

  /** Connect failure, timeout, reset or EOF: reported once to the handler, or dropped from the pool. */
  fail(err: LbError): void {
    const was = this.state;
    this.state = ConnState.Closed;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (was !== ConnState.Closed) this.owner.closed(this);
    const h = this.handler;
    this.handler = null;
    if (h === null) {
      if (was === ConnState.Open) this.socket?.end();
      return;
    }
    this.writer.discard();
    h.onUpstreamClose(this, err);
  }

  /** The peer closed or reset after connecting. */
  onClosed(cause?: unknown): void {
    if (this.state === ConnState.Closed) return;
    const early = this.received === 0;
    this.fail(new LbError("UPSTREAM_RESET", `backend ${this.address} closed the connection`, {
      retryable: early, cause, details: [{ beforeResponse: early, reused: this.uses > 0 }],
    }));
  }
}
