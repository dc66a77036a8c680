/**
 * One request's trip through the proxy, as one state machine: its `phase` moves only through the
 * named transitions below, whichever codec brought the request (the ClientSide) and whichever
 * carries it to the backend. It is the hooks' ProxyCtx, chooses the backend, sends the head and
 * streams the body upstream, relays the response through the client side, and ends in exactly one
 * of `complete` (response relayed), `reply` (answered by the proxy) or `fail` (an error reply, or
 * an abort once the response had started). How HTTP/1.1 response bytes become these events is
 * response-relay.ts.
 */
import { LbError } from "../errors.ts";
import { BodyKind, type RequestHead, type ResponseHead } from "../http/index.ts";
import type { ClientExchange, ClientSide } from "./client-side.ts";
import { RequestCtx } from "./ctx.ts";
import { hookFailed } from "./guard.ts";
import { HeldRequest } from "./held-request.ts";
import { ExchangeExtras, NO_EXCHANGE_EXTRAS } from "./exchange-extras.ts";
import type { ProxyReply } from "./hooks.ts";
import { errorReply } from "./reply.ts";
import { grpcReply, isGrpc } from "./grpc.ts";
import { ReplayBody } from "./replay-body.ts";
import { markDropped } from "./field-drop.ts";
import { relayClose, relayData, relayEnd } from "./response-relay.ts";
import type { Trailers } from "./trailers.ts";
import { refusedSwitch, upgradeOffer } from "./upgrade.ts";
import type { UpstreamConn, UpstreamHandler } from "./upstream-conn.ts";
import type { LegOwner, UpstreamLeg } from "./upstream-leg.ts";
import type { ConnGroup, ConnWaiter } from "./conn-group.ts";
import { Phase } from "./exchange-phase.ts";
import { startEncoding, type BodyEncoder, type CompressPolicy } from "./compress/index.ts";

export class Exchange<U = unknown> extends RequestCtx<U> implements ConnWaiter, ClientExchange, LegOwner, UpstreamHandler {
  #phase = Phase.Start;
  #requestDone = false;
  #closeAfter: boolean;
  /** The current attempt's way to the backend; null before one is bound and after the end. */
  up: UpstreamLeg | null = null;
  /** The Upgrade value offered to the backend (the request's allowed protocols); null = no upgrade. */
  upgradeOffer: string | null = null;
  /** held, waitingIn, replay, trailers, encoder: see exchange-extras.ts. */
  #more: ExchangeExtras | null = null;
  get #m(): Readonly<ExchangeExtras> { return this.#more ?? NO_EXCHANGE_EXTRAS; }
  private get held(): HeldRequest | null { return this.#m.held; }
  private set held(v: HeldRequest | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).held = v; }
  private get waitingIn(): ConnGroup | null { return this.#m.waitingIn; }
  private set waitingIn(v: ConnGroup | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).waitingIn = v; }
  private get replay(): ReplayBody | null { return this.#m.replay; }
  private set replay(v: ReplayBody | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).replay = v; }
  private get trailers(): Trailers | null { return this.#m.trailers; }
  private set trailers(v: Trailers | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).trailers = v; }
  private get encoder(): BodyEncoder | null { return this.#m.encoder; }
  private set encoder(v: BodyEncoder | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).encoder = v; }

  constructor(readonly client: ClientSide, req: RequestHead) {
    super(req, client.conn, client.server.proto, client.server.hooks.newCtx?.() as U, client.httpVersion(req));
    this.#closeAfter = !req.keepAlive || client.server.draining;
  }

  get phase(): Phase { return this.#phase; }
  /** The client's request has been read to its end. */
  get requestDone(): boolean { return this.#requestDone; }
  /** Over: nothing more happens. */
  get finished(): boolean { return this.#phase === Phase.Done; }
  /** Both connections carry raw bytes (after a 101). */
  get tunnel(): boolean { return this.#phase === Phase.Tunnel; }
  /** A response head went to the client and the exchange is not over. */
  get responseStarted(): boolean { return this.#phase >= Phase.Responding && this.#phase !== Phase.Done; }
  /** The client connection closes once this response is flushed. */
  get closeAfter(): boolean { return this.#closeAfter; }

  closeClientAfter(): void {
    this.#closeAfter = true;
  }

  // ---- request direction ----

  /** Start: runs the request phases up to sending the head upstream. */
  start(): void {
    const client = this.client, { hooks, maxBodyBytes } = client.server;
    const headAt = client.takeHeadStart();
    const reply = hooks.onRequest?.(this);
    if (this.requestTimeoutMs > 0) {
      // measured from the head's first byte: when it came in one packet, that is this request's start
      client.requestBy((headAt > 0 ? headAt : performance.timeOrigin + this.startedAt) + this.requestTimeoutMs);
    }
    if (this.idleTimeoutMs > 0) client.streamIdleMs = this.idleTimeoutMs;
    if (reply) return this.reply(reply);
    if (this.req.upgrade) this.upgradeOffer = upgradeOffer(this.req, this.upgrades);
    if (this.req.isConnect) return this.fail(new LbError("METHOD_NOT_ALLOWED", "CONNECT is not proxied"));
    if (this.req.contentLength > maxBodyBytes) return this.fail(new LbError("BODY_TOO_LARGE", "request body too large"));
    this.attemptUpstream();
  }

  /** Start (or a retry) → Forwarding, or Queued when the group has no connection to give. */
  private attemptUpstream(): void {
    const client = this.client, { hooks, pool } = client.server;
    this.attempt++;
    const chosen = hooks.selectUpstream(this);
    if (chosen instanceof LbError) return this.fail(chosen);
    this.upstream = chosen;
    hooks.onUpstreamRequest?.(this);
    this.upstreamStartedAt = performance.now();
    if (this.#requestDone) client.awaitResponse(this.responseTimeoutMs);
    else client.streaming();
    this.#phase = Phase.Forwarding;
    const corking = client.corking;
    // While a client packet is being parsed, no new backend connection is opened until it parsed
    // cleanly (a request malformed later in the packet never reaches a backend); an idle one is
    // used at once, corked, and handed back untouched if the packet fails.
    const group = this.connGroup ?? pool.shared;
    const leg = corking ? pool.acquireIdle(chosen, this, group) : pool.claim(chosen, this, this.connectTimeoutMs, group);
    if (leg instanceof LbError) return this.fail(leg);
    if (leg !== null) {
      this.bind(leg);
      if (corking) leg.cork();
      leg.sendHead(this);
      return;
    }
    if (!corking) this.queue(group);
    this.held = new HeldRequest();
  }

  /** Forwarding → Queued: waits in `group` for a connection. */
  private queue(group: ConnGroup): void {
    this.waitingIn = group;
    this.#phase = Phase.Queued;
  }

  private bind(leg: UpstreamLeg): void {
    this.up = leg;
    this.reusedConnection = leg.reused;
  }

  /** End of a client packet: sends what it produced (connecting first if it was held). */
  launch(): void {
    if (this.held === null || this.#phase === Phase.Done) {
      this.up?.uncork();
      return;
    }
    if (this.#phase === Phase.Queued) return;
    const pool = this.client.server.pool, group = this.connGroup ?? pool.shared;
    const leg = pool.claim(this.upstream!, this, this.connectTimeoutMs, group);
    if (leg instanceof LbError) return this.fail(leg);
    if (leg === null) return this.queue(group);
    if (!this.sendHeld(leg)) this.client.pauseReading();
  }

  /** Binds `leg` and sends what was held for it; false when the caller should pause the client. */
  private sendHeld(leg: UpstreamLeg): boolean {
    const held = this.held!;
    this.held = null;
    this.bind(leg);
    return held.sendTo(leg, this);
  }

  /** Queued → Forwarding: a connection freed up for this request (FIFO); what was held goes out on it. */
  onUpstreamGranted(leg: UpstreamLeg): void {
    this.waitingIn = null;
    if (this.#phase !== Phase.Queued || this.held === null) return leg.release(true); // cannot happen: ending cancels the wait
    this.#phase = Phase.Forwarding;
    this.upstreamStartedAt = performance.now(); // upstream latency starts now, not in the queue
    if (this.sendHeld(leg)) this.client.resumeReading(); // reading paused while it waited
    else this.client.pauseReading();
  }

  /** Queued → Done: waited past the connect timeout for a connection. */
  onUpstreamWaitFailed(err: LbError): void {
    this.waitingIn = null;
    this.fail(err);
  }

  /** Lets go of the leg after a failure (see UpstreamLeg.abandon), or of its place in the queue. */
  private dropLeg(): void {
    this.up?.abandon();
    this.up = null;
    if (this.waitingIn !== null) this.waitingIn.cancel(this);
    this.waitingIn = null;
  }

  /** A piece of the request body from the client. */
  requestBody(buf: Buffer, start: number, end: number): void {
    if (this.#phase === Phase.Done) return;
    this.bytesIn += end - start;
    if (this.bytesIn > this.client.server.maxBodyBytes) {
      return this.fail(new LbError("BODY_TOO_LARGE", "request body too large"));
    }
    if (this.replayBodyBytes > 0) (this.replay ??= new ReplayBody()).keep(buf, start, end, this.replayBodyBytes);
    const sink = this.held ?? this.up;
    // while waiting for a connection nothing can be sent: stop reading rather than buffer the body
    if (sink !== null && (!sink.sendBody(buf, start, end) || this.#phase === Phase.Queued)) this.client.pauseReading();
  }

  /** The request can be sent again: no body bytes read yet, or every one of them kept. */
  replayable(): boolean {
    return this.bytesIn === 0 || (this.replay !== null && this.replay.covers(this.bytesIn));
  }

  /** The client's request is complete (with its trailers, if any). */
  requestEnd(trailers: Trailers | null): void {
    this.#requestDone = true;
    this.trailers = trailers;
    if (this.#phase === Phase.Done) return;
    (this.held ?? this.up)?.sendEnd(trailers);
    if (this.#phase < Phase.Responding) this.client.awaitResponse(this.responseTimeoutMs);
    if (this.#phase === Phase.Relayed) this.complete(true);
  }

  /** The whole request has been read from the client (a bodiless one as soon as its head is). */
  bodyRead(): boolean {
    return this.#requestDone || this.req.bodyKind === BodyKind.None;
  }

  // ---- response direction (LegOwner: what every kind of leg reports) ----

  /**
   * Forwarding → Responding: the backend's final head, after retryOnResponse had its say. Interim
   * heads are passed on as they come; a 101 goes to `switchProtocols`.
   */
  responseHead(res: ResponseHead): void {
    if (res.bodyKind === BodyKind.Tunnel) return this.switchProtocols(res);
    const client = this.client, hooks = client.server.hooks;
    if (res.status < 200) return client.writeInterim(this, res);
    if (hooks.retryOnResponse && this.replayable() && this.attempt < 10 && hooks.retryOnResponse(this, res)) {
      return this.retryAfterResponse();
    }
    this.res = res;
    this.responseStartedAt = performance.now();
    hooks.onResponse?.(this, res);
    markDropped(res, this.dropResponseFields);
    if (this.compress !== null) this.startEncoder(res, this.compress);
    this.status = res.status;
    this.#phase = Phase.Responding;
    client.streaming();
    if (!client.writeHead(this, res)) this.up?.pause();
  }

  /**
   * Forwarding → Tunnel on a 101 (a CONNECT 2xx never gets here: CONNECT is refused), only when it
   * switches to a protocol the request offered; otherwise the client gets a 502 BAD_UPGRADE and
   * its connection closes (bytes it sent after the request were for the tunnel).
   */
  private switchProtocols(res: ResponseHead): void {
    const refused = refusedSwitch(res, this.upgradeOffer);
    if (refused !== null) {
      if (refused.code === "BAD_UPGRADE") this.#closeAfter = true;
      return this.fail(refused);
    }
    this.res = res;
    this.#phase = Phase.Tunnel;
    this.responseStartedAt = performance.now();
    // what the client saw: an HTTP/2 extended CONNECT is answered 200 (access log, stats by class)
    this.status = this.client.startTunnel(this, res);
  }

  /** Response body bytes (raw chunk framing included when the client side asked for it). */
  responseBody(buf: Buffer, start: number, end: number): void {
    if (this.encoder !== null) return this.encodeBody(buf, start, end);
    this.bytesOut += end - start;
    if (!this.client.writeBody(buf, start, end)) this.up?.pause();
  }

  private startEncoder(res: ResponseHead, policy: CompressPolicy): void {
    this.encoder = startEncoding(this, res, policy);
    if (this.encoder !== null) this.contentCoding = this.encoder.coding;
  }

  /** A body piece through the encoder: what it makes goes to the client, counted as sent. */
  private encodeBody(buf: Buffer, start: number, end: number): void {
    const enc = this.encoder!, before = enc.bytesOut;
    let ok: boolean;
    try {
      ok = enc.write(buf, start, end, this.client);
    } catch (e) {
      return this.fail(new LbError("INTERNAL", "response compression failed", { cause: e }));
    }
    this.bytesOut += enc.bytesOut - before;
    if (!ok) this.up?.pause();
  }

  /** The encoder's last bytes (or nothing, when the response was cut short); its counts are kept. */
  private endEncoding(finished: boolean): void {
    const enc = this.encoder!, before = enc.bytesOut;
    this.encoder = null;
    try {
      if (finished) enc.finish(this.client);
    } finally {
      enc.release();
      this.bytesOut += enc.bytesOut - before;
      this.compressedIn = enc.bytesIn;
      this.compressedOut = enc.bytesOut;
    }
  }

  /**
   * Responding → Relayed: the response ended. It completes at once when it is delimited by the
   * close, or when the client is still sending (then the client connection closes); otherwise the
   * leg completes it, knowing whether its connection is clean.
   */
  responseEnd(trailers: Trailers | null): void {
    if (this.#phase !== Phase.Responding) return;
    this.#phase = Phase.Relayed;
    if (this.encoder !== null) this.endEncoding(true);
    this.client.writeEnd(trailers);
    if (this.res!.bodyKind === BodyKind.Close || !this.#requestDone) this.complete(false);
  }

  /** The leg broke before the response ended: another attempt when safe and allowed, else fail. */
  upstreamFailed(err: LbError, responded: boolean): void {
    if (this.#phase === Phase.Done) return;
    if (this.#phase === Phase.Tunnel) return this.complete(false);
    if (this.res === null && !responded && this.replayable() && this.shouldRetry(err)) return this.retry();
    this.fail(responded && !this.responseStarted ? new LbError("UPSTREAM_PROTOCOL", "backend closed mid-response", { cause: err }) : err);
  }

  /** The hook decides; by default one retry of a bodiless request on a reused connection (keep-alive race). */
  private shouldRetry(err: LbError): boolean {
    if (this.attempt >= 10) return false;
    const hook = this.client.server.hooks.onConnectFailure;
    if (hook !== undefined) return hook(this, err);
    if (err.code === "UPSTREAM_REFUSED") return this.attempt < 3; // never processed: safe whatever the method
    return err.retryable && this.req.bodyKind === BodyKind.None && this.reusedConnection && this.attempt < 2;
  }

  /** Relayed → Done (or Tunnel → Done): gives the leg back and lets the client side go on. */
  complete(reusable: boolean): void {
    if (this.#phase === Phase.Done) return;
    const wasTunnel = this.#phase === Phase.Tunnel;
    this.#phase = Phase.Done;
    if (!this.bodyRead()) this.#closeAfter = true;
    const leg = this.up;
    this.up = null;
    if (leg !== null) leg.release(reusable && this.#requestDone && !wasTunnel && this.res !== null && this.res.keepAlive);
    this.client.exchangeDone(this);
  }

  /** Any phase → Done: an error reply when nothing was sent yet, else the client is cut off. */
  fail(err: LbError): void {
    if (this.#phase === Phase.Done) return;
    this.error = err;
    this.held = null;
    if (this.encoder !== null) this.endEncoding(false);
    this.dropLeg();
    if (this.responseStarted) {
      this.#phase = Phase.Done;
      this.#closeAfter = true;
      this.client.exchangeAborted(this);
      return;
    }
    this.reply(this.client.server.hooks.onProxyFailure?.(this, err) ?? errorReply(err));
  }

  /** Any phase before a response → Done: writes a proxy-made response (a gRPC error to a gRPC call). */
  reply(reply: ProxyReply): void {
    if (this.#phase === Phase.Done) return;
    this.held = null;
    this.dropLeg();
    this.#phase = Phase.Done;
    if (isGrpc(this.req)) reply = grpcReply(reply);
    this.status = reply.status;
    this.replyErrorCode = reply.errorCode ?? null;
    if (!this.bodyRead() || this.error?.source === "downstream" || reply.closeConnection) this.#closeAfter = true;
    this.client.writeReply(this, reply);
    this.client.exchangeDone(this);
  }

  /** Forwarding → Forwarding on another attempt: a retryable failure before any response byte. */
  retry(): void {
    this.up = null;
    this.attemptUpstream();
    if (this.#phase === Phase.Done) return;
    // The body read so far (all of it: only a replayable request is retried); the rest streams after it.
    const sink = this.held ?? (this.up as UpstreamLeg | null);
    if (sink === null) return;
    if (this.replay !== null) for (const b of this.replay.pieces()) sink.sendBody(b, 0, b.length);
    if (this.#requestDone) sink.sendEnd(this.trailers);
  }

  /** retryOnResponse said yes: the response is dropped with its leg, and the request sent again. */
  private retryAfterResponse(): void {
    this.up?.destroy();
    this.retry();
  }

  /** The leg can take request bytes again. */
  onUpstreamDrain(): void {
    this.client.resumeReading();
  }

  // ---- UpstreamHandler: an HTTP/1.1 leg's bytes, parsed by response-relay.ts ----

  onUpstreamData(conn: UpstreamConn, data: Buffer): void {
    try {
      relayData(this, conn, data);
    } catch (e) {
      this.fail(hookFailed(e)); // onResponse threw
    }
  }
  onHead(res: ResponseHead): void {
    this.responseHead(res);
    // a compressed body is read decoded from its chunks (re-framed for the client after compression)
    if (this.encoder !== null) (this.up as UpstreamConn).parser.raw = false;
  }
  onBody(buf: Buffer, start: number, end: number): void { this.responseBody(buf, start, end); }
  onEnd(trailers: Buffer | null): void { relayEnd(this, trailers); }
  onUpstreamClose(conn: UpstreamConn, err: LbError): void { relayClose(this, conn, err); }
}
