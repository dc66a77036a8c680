/**
 * The request direction of an exchange's state machine (exchange-phase.ts draws it): from the
 * head through choosing a backend, waiting for a connection when the group has none to give,
 * sending the held head and streaming the body, to a retry's replay. The response direction and
 * the endings (complete, reply, fail) are exchange.ts.
 */
import { LbError } from "../errors.ts";
import type { ProxyReply } from "./hooks.ts";
import type { ResponseHead } from "../http/index.ts";
import type { ConnGroup, ConnWaiter } from "./conn-group.ts";
import { ExchangeState } from "./exchange-state.ts";
import { Phase } from "./exchange-phase.ts";
import { HeldRequest } from "./held-request.ts";
import { ReplayBody } from "./replay-body.ts";
import type { Trailers } from "./trailers.ts";
import { upgradeOffer } from "./upgrade.ts";
import type { UpstreamConn } from "./upstream-conn.ts";
import type { LegOwner, UpstreamLeg } from "./upstream-leg.ts";

export abstract class ExchangeRequest<U> extends ExchangeState<U> implements ConnWaiter, LegOwner {
  // The response direction and the endings, made in exchange.ts:
  abstract responseHead(res: ResponseHead): void;
  abstract responseBody(buf: Buffer, start: number, end: number): void;
  abstract responseEnd(trailers: Trailers | null): void;
  abstract upstreamFailed(err: LbError, responded: boolean): void;
  abstract onUpstreamData(conn: UpstreamConn, data: Buffer): void;
  abstract onUpstreamClose(conn: UpstreamConn, err: LbError): void;
  abstract onHead(res: ResponseHead): void;
  abstract onBody(buf: Buffer, start: number, end: number): void;
  abstract onEnd(trailers: Buffer | null): void;
  /** Any phase → Done: an error reply when nothing was sent yet, else the client is cut off. */
  abstract fail(err: LbError): void;
  /** Any phase before a response → Done: writes a proxy-made response. */
  abstract reply(reply: ProxyReply): void;
  /** Relayed → Done (or Tunnel → Done): gives the leg back and lets the client side go on. */
  abstract complete(reusable: boolean): void;

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
    if (this.requestRead) client.awaitResponse(this.responseTimeoutMs);
    else client.streaming();
    this.phaseNow = Phase.Forwarding;
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

  /** End of a client packet: sends what it produced (connecting first if it was held). */
  launch(): void {
    if (this.held === null || this.phaseNow === Phase.Done) {
      this.up?.uncork();
      return;
    }
    if (this.phaseNow === Phase.Queued) return;
    const pool = this.client.server.pool, group = this.connGroup ?? pool.shared;
    const leg = pool.claim(this.upstream!, this, this.connectTimeoutMs, group);
    if (leg instanceof LbError) return this.fail(leg);
    if (leg === null) return this.queue(group);
    if (!this.sendHeld(leg)) this.client.pauseReading();
  }

  /** Forwarding → Queued: waits in `group` for a connection. */
  private queue(group: ConnGroup): void {
    this.waitingIn = group;
    this.phaseNow = Phase.Queued;
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
    if (this.phaseNow !== Phase.Queued || this.held === null) return leg.release(true); // cannot happen: ending cancels the wait
    this.phaseNow = Phase.Forwarding;
    this.upstreamStartedAt = performance.now(); // upstream latency starts now, not in the queue
    if (this.sendHeld(leg)) this.client.resumeReading(); // reading paused while it waited
    else this.client.pauseReading();
  }

  /** Queued → Done: waited past the connect timeout for a connection. */
  onUpstreamWaitFailed(err: LbError): void {
    this.waitingIn = null;
    this.fail(err);
  }

  /** A piece of the request body from the client. */
  requestBody(buf: Buffer, start: number, end: number): void {
    if (this.phaseNow === Phase.Done) return;
    this.bytesIn += end - start;
    if (this.bytesIn > this.client.server.maxBodyBytes) {
      return this.fail(new LbError("BODY_TOO_LARGE", "request body too large"));
    }
    if (this.replayBodyBytes > 0) (this.replay ??= new ReplayBody()).keep(buf, start, end, this.replayBodyBytes);
    const sink = this.held ?? this.up;
    // while waiting for a connection nothing can be sent: stop reading rather than buffer the body
    if (sink !== null && (!sink.sendBody(buf, start, end) || this.phaseNow === Phase.Queued)) this.client.pauseReading();
  }

  /** The client's request is complete (with its trailers, if any). */
  requestEnd(trailers: Trailers | null): void {
    this.requestRead = true;
    this.trailers = trailers;
    if (this.phaseNow === Phase.Done) return;
    (this.held ?? this.up)?.sendEnd(trailers);
    if (this.phaseNow < Phase.Responding) this.client.awaitResponse(this.responseTimeoutMs);
    if (this.phaseNow === Phase.Relayed) this.complete(true);
  }

  /** Forwarding → Forwarding on another attempt: a retryable failure before any response byte. */
  retry(): void {
    this.up = null;
    this.attemptUpstream();
    if (this.phaseNow === Phase.Done) return;
    // The body read so far (all of it: only a replayable request is retried); the rest streams after it.
    const sink = this.held ?? (this.up as UpstreamLeg | null);
    if (sink === null) return;
    let open = true;
    if (this.replay !== null) for (const b of this.replay.pieces()) open = sink.sendBody(b, 0, b.length) && open;
    if (this.requestRead) return sink.sendEnd(this.trailers);
    // Reading may have paused for the failed leg (a connection that never opened pushes back, and
    // its drain never comes): this one took the body so far, so the rest is read now, unless it
    // pushes back too (its drain resumes) or the request waits for a connection.
    if (open && this.phaseNow !== Phase.Queued) this.client.resumeReading();
  }

  /** The leg can take request bytes again. */
  onUpstreamDrain(): void {
    this.client.resumeReading();
  }
}
