/**
 * One request's trip through the proxy: it is the hooks' ProxyCtx, chooses the backend, sends the
 * head and streams the body upstream (chunked re-framed as chunked), and ends in exactly one of
 * `complete` (response relayed) or `fail` (error reply, or abort when the response had started).
 * The response direction lives in response-relay.ts.
 */
import { LbError } from "../errors.ts";
import { BodyKind, emitChunk, emitLastChunk, type RequestHead, type ResponseHead } from "../http/index.ts";
import { emitUpstreamHead } from "./forwarded.ts";
import { RequestCtx } from "./ctx.ts";
import { hookFailed } from "./guard.ts";
import { RangeQueue, type ByteSink } from "./range-queue.ts";
import type { ProxyReply } from "./hooks.ts";
import { encodeReply, errorReply } from "./reply.ts";
import { relayBody, relayClose, relayData, relayEnd, relayHead } from "./response-relay.ts";
import { upgradeOffer } from "./upgrade.ts";
import type { Session } from "./session.ts";
import type { UpstreamConn } from "./upstream-conn.ts";
import type { ConnGroup, ConnWaiter } from "./conn-group.ts";

export class Exchange<U = unknown> extends RequestCtx<U> implements ConnWaiter {
  conn: UpstreamConn | null = null;
  requestDone = false;
  responseDone = false;
  headSent = false;
  finished = false;
  tunnel = false;
  /** The client connection closes once this response is flushed. */
  closeAfter = false;
  /** The Upgrade value offered to the backend (the request's allowed protocols); null = no upgrade. */
  upgradeOffer: string | null = null;
  /** Upstream bytes waiting for `launch` or a granted connection (head first); null once sent on. */
  private held: RangeQueue | null = null;
  /** Queued in this group for a connection (its max_connections was reached); null = not waiting. */
  private waitingIn: ConnGroup | null = null;
  /** Copies of the body read so far, for a retry (see replayBodyBytes); null once over the limit. */
  private replay: Buffer[] | null = [];
  private replayLen = 0;
  private trailers: Buffer | null = null;

  constructor(readonly session: Session, req: RequestHead) {
    super(req, session, session.server.proto, session.server.hooks.newCtx?.() as U);
    this.closeAfter = !req.keepAlive || session.server.draining;
  }

  /** Runs the request phases up to sending the head upstream. */
  start(): void {
    const { hooks, maxBodyBytes } = this.session.server;
    const headAt = this.session.takeHeadStart();
    const reply = hooks.onRequest?.(this);
    if (this.requestTimeoutMs > 0) {
      // measured from the head's first byte: when it came in one packet, that is this request's start
      this.session.requestDeadline = (headAt > 0 ? headAt : performance.timeOrigin + this.startedAt) + this.requestTimeoutMs;
    }
    if (this.idleTimeoutMs > 0) this.session.streamIdleMs = this.idleTimeoutMs;
    if (reply) return this.reply(reply);
    if (this.req.upgrade) this.upgradeOffer = upgradeOffer(this.req, this.upgrades);
    if (this.req.isConnect) return this.fail(new LbError("METHOD_NOT_ALLOWED", "CONNECT is not proxied"));
    if (this.req.contentLength > maxBodyBytes) return this.fail(new LbError("BODY_TOO_LARGE", "request body too large"));
    this.attemptUpstream();
  }

  private attemptUpstream(): void {
    const { hooks, pool } = this.session.server;
    this.attempt++;
    const chosen = hooks.selectUpstream(this);
    if (chosen instanceof LbError) return this.fail(chosen);
    this.upstream = chosen;
    hooks.onUpstreamRequest?.(this);
    this.upstreamStartedAt = performance.now();
    if (this.requestDone) this.session.awaitResponse(this.responseTimeoutMs);
    else this.session.streaming();
    const corking = this.session.corking;
    // While a client packet is being parsed, no new backend connection is opened until it parsed
    // cleanly (a request malformed later in the packet never reaches a backend); an idle one is
    // used at once, corked, and handed back untouched if the packet fails.
    const group = this.connGroup ?? pool.shared;
    const conn = corking ? pool.acquireIdle(chosen, this, group) : pool.claim(chosen, this, this.connectTimeoutMs, group);
    if (conn instanceof LbError) return this.fail(conn);
    if (conn === null && !corking) this.waitingIn = group;
    if (conn !== null) {
      this.bind(conn);
      if (corking) conn.writer.cork();
      emitUpstreamHead(this, this.session.identity, chosen.address, this.generatedId, this.upgradeOffer, conn.writer);
      return;
    }
    this.held = new RangeQueue();
    emitUpstreamHead(this, this.session.identity, chosen.address, this.generatedId, this.upgradeOffer, this.held);
  }

  private bind(conn: UpstreamConn): void {
    this.conn = conn;
    this.reusedConnection = conn.uses > 0;
    conn.parser.expect(this.req.method);
    // HTTP/1.0 clients cannot read chunked framing: decode, then delimit the body by close
    conn.parser.raw = this.req.versionMinor === 1;
  }

  /** End of a client packet: sends what it produced (connecting first if it was held). */
  launch(): void {
    const held = this.held;
    if (held === null || this.finished) {
      this.conn?.writer.uncork();
      return;
    }
    if (this.waitingIn !== null) return;
    const pool = this.session.server.pool, group = this.connGroup ?? pool.shared;
    const conn = pool.claim(this.upstream!, this, this.connectTimeoutMs, group);
    if (conn instanceof LbError) return this.fail(conn);
    if (conn === null) {
      this.waitingIn = group;
      return;
    }
    if (!this.sendHeld(conn)) this.session.pauseReading();
  }

  /** Binds `conn` and sends what was held for it; false when the caller should pause the client. */
  private sendHeld(conn: UpstreamConn): boolean {
    const held = this.held!;
    this.held = null;
    this.bind(conn);
    conn.writer.cork();
    const ok = held.drainInto(conn.writer);
    conn.writer.uncork();
    return ok;
  }

  /** A connection freed up for this waiting request (FIFO): the held head and body go out on it. */
  onUpstreamGranted(conn: UpstreamConn): void {
    this.waitingIn = null;
    if (this.finished || this.held === null) return this.session.server.pool.release(conn, true); // cannot happen: ending cancels the wait
    this.upstreamStartedAt = performance.now(); // upstream latency starts now, not in the queue
    if (this.sendHeld(conn)) this.session.resumeReading(); // reading paused while it waited
    else this.session.pauseReading();
  }

  /** Waited past the connect timeout for a connection. */
  onUpstreamWaitFailed(err: LbError): void {
    this.waitingIn = null;
    this.fail(err);
  }

  /** Lets go of the connection after a failure (see UpstreamPool.abandon), or of its place in the queue. */
  private dropConn(): void {
    if (this.conn !== null) this.session.server.pool.abandon(this.conn);
    this.conn = null;
    if (this.waitingIn !== null) this.waitingIn.cancel(this);
    this.waitingIn = null;
  }

  /** Where request bytes go: the held queue until launch, then the connection's writer. */
  private upSink(): ByteSink | null { return this.held ?? this.conn?.writer ?? null; }

  /** A piece of the request body from the client parser. */
  requestBody(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    this.bytesIn += end - start;
    if (this.bytesIn > this.session.server.maxBodyBytes) {
      return this.fail(new LbError("BODY_TOO_LARGE", "request body too large"));
    }
    if (this.replay !== null) this.keep(buf, start, end);
    const sink = this.upSink();
    if (sink === null) return;
    const ok = this.req.bodyKind === BodyKind.Chunked ? emitChunk(sink, buf, start, end) : sink.write(buf, start, end);
    // while waiting for a connection nothing can be sent: stop reading rather than buffer the body
    if (!ok || this.waitingIn !== null) this.session.pauseReading();
  }

  private keep(buf: Buffer, start: number, end: number): void {
    if (this.replayLen + end - start > this.replayBodyBytes) {
      this.replay = null;
      return;
    }
    this.replay!.push(Buffer.from(buf.subarray(start, end))); // a copy: the parser's buffer is reused
    this.replayLen += end - start;
  }

  /** The request can be sent again: no body bytes read yet, or every one of them kept. */
  replayable(): boolean {
    return this.bytesIn === 0 || (this.replay !== null && this.replayLen === this.bytesIn);
  }

  /** The client's request is complete. */
  requestEnd(trailers: Buffer | null): void {
    this.requestDone = true;
    this.trailers = trailers;
    if (this.finished) return;
    const sink = this.upSink();
    if (this.req.bodyKind === BodyKind.Chunked && sink !== null) emitLastChunk(sink, trailers);
    if (!this.headSent) this.session.awaitResponse(this.responseTimeoutMs);
    if (this.responseDone) this.complete(true);
  }

  /** The response has been relayed: gives the connection back and lets the session go on. */
  complete(reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.bodyRead()) this.closeAfter = true;
    const conn = this.conn;
    this.conn = null;
    if (conn !== null) {
      const keep = reusable && this.requestDone && !this.tunnel && this.res !== null && this.res.keepAlive;
      this.session.server.pool.release(conn, keep);
    }
    this.session.exchangeDone(this);
  }

  /** Fails the exchange: an error reply when nothing was sent yet, else the client is cut off. */
  fail(err: LbError): void {
    if (this.finished) return;
    this.error = err;
    this.held = null;
    this.dropConn();
    if (this.headSent) {
      this.finished = true;
      this.closeAfter = true;
      this.session.exchangeAborted(this);
      return;
    }
    this.reply(this.session.server.hooks.onProxyFailure?.(this, err) ?? errorReply(err));
  }

  /** Writes a proxy-made response and finishes. */
  reply(reply: ProxyReply): void {
    if (this.finished) return;
    this.held = null;
    this.dropConn();
    this.finished = true;
    this.status = reply.status;
    this.replyErrorCode = reply.errorCode ?? null;
    if (!this.bodyRead() || this.error?.source === "downstream") this.closeAfter = true;
    this.session.writer.write(encodeReply(reply, this.closeAfter, this.req.method === "HEAD"));
    this.session.exchangeDone(this);
  }

  /** The whole request has been read from the client (a bodiless one as soon as its head is). */
  bodyRead(): boolean {
    return this.requestDone || this.req.bodyKind === BodyKind.None;
  }

  // UpstreamHandler and the response parser's MessageHandler: the response side is response-relay.ts
  onUpstreamData(conn: UpstreamConn, data: Buffer): void {
    try {
      relayData(this, conn, data);
    } catch (e) {
      this.fail(hookFailed(e)); // onResponse threw
    }
  }
  onHead(res: ResponseHead): void { relayHead(this, res); }
  onBody(buf: Buffer, start: number, end: number): void { relayBody(this, buf, start, end); }
  onEnd(): void { relayEnd(this); }
  onUpstreamDrain(): void { this.session.resumeReading(); }
  onUpstreamClose(conn: UpstreamConn, err: LbError): void { relayClose(this, conn, err); }

  /** Another attempt after a retryable failure before any response byte: selectUpstream runs again. */
  retry(): void {
    this.conn = null;
    this.attemptUpstream();
    const sink = this.upSink();
    if (this.finished || sink === null || this.replay === null) return;
    // The body read so far, framed as the first attempt framed it; the rest streams after it.
    const chunked = this.req.bodyKind === BodyKind.Chunked;
    for (const b of this.replay) chunked ? emitChunk(sink, b, 0, b.length) : sink.write(b, 0, b.length);
    if (chunked && this.requestDone) emitLastChunk(sink, this.trailers);
  }

  /** retryOnResponse said yes: the response is dropped with its connection, and the request sent again. */
  retryAfterResponse(): void {
    this.conn?.destroy();
    this.retry();
  }
}
