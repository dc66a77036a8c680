/**
 * One request's trip through the proxy, as one state machine (exchange-phase.ts draws it): its
 * `phase` moves only through named transitions, whichever codec brought the request (the
 * ClientSide) and whichever carries it to the backend. It is the hooks' ProxyCtx. The request
 * direction (choose a backend, wait for a connection, send the head and body, replay for a retry)
 * is exchange-request.ts, what it carries exchange-state.ts; here, the response direction (relayed
 * through the client side) and the ends: exactly one of `complete` (response relayed), `reply`
 * (answered by the proxy) or `fail` (an error reply, or an abort once the response had started).
 * How HTTP/1.1 response bytes become these events is response-relay.ts.
 */
import { LbError } from "../errors.ts";
import { BodyKind, type ResponseHead } from "../http/index.ts";
import type { ClientExchange } from "./client-side.ts";
import { ExchangeRequest } from "./exchange-request.ts";
import { hookFailed } from "./guard.ts";
import type { ProxyReply } from "./hooks.ts";
import { errorReply } from "./reply.ts";
import { grpcReply, isGrpc } from "./grpc.ts";
import { markDropped } from "./field-drop.ts";
import { relayClose, relayData, relayEnd } from "./response-relay.ts";
import type { Trailers } from "./trailers.ts";
import { refusedSwitch } from "./upgrade.ts";
import type { UpstreamConn, UpstreamHandler } from "./upstream-conn.ts";
import type { LegOwner } from "./upstream-leg.ts";
import { Phase } from "./exchange-phase.ts";
import { encodePiece, endEncoding, startEncoding } from "./exchange-encoding.ts";

export class Exchange<U = unknown> extends ExchangeRequest<U> implements ClientExchange, LegOwner, UpstreamHandler {
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
    if (this.compress !== null) this.encoder = startEncoding(this, res, this.compress);
    this.status = res.status;
    this.phaseNow = Phase.Responding;
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
      if (refused.code === "BAD_UPGRADE") this.closeWhenDone = true;
      return this.fail(refused);
    }
    this.res = res;
    this.phaseNow = Phase.Tunnel;
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

  /** A body piece through the encoder (see exchange-encoding.ts); a failing encoder fails the exchange. */
  private encodeBody(buf: Buffer, start: number, end: number): void {
    let ok: boolean;
    try {
      ok = encodePiece(this, this.encoder!, this.client, buf, start, end);
    } catch (e) {
      return this.fail(new LbError("INTERNAL", "response compression failed", { cause: e }));
    }
    if (!ok) this.up?.pause();
  }

  private stopEncoding(finished: boolean): void {
    const enc = this.encoder!;
    this.encoder = null;
    endEncoding(this, enc, this.client, finished);
  }

  /**
   * Responding → Relayed: the response ended. It completes at once when it is delimited by the
   * close, or when the client is still sending (then the client connection closes); otherwise the
   * leg completes it, knowing whether its connection is clean.
   */
  responseEnd(trailers: Trailers | null): void {
    if (this.phaseNow !== Phase.Responding) return;
    this.phaseNow = Phase.Relayed;
    if (this.encoder !== null) this.stopEncoding(true);
    this.client.writeEnd(trailers);
    if (this.res!.bodyKind === BodyKind.Close || !this.requestRead) this.complete(false);
  }

  /** The leg broke before the response ended: another attempt when safe and allowed, else fail. */
  upstreamFailed(err: LbError, responded: boolean): void {
    if (this.phaseNow === Phase.Done) return;
    if (this.phaseNow === Phase.Tunnel) return this.complete(false);
    if (this.res === null && !responded && this.replayable() && this.shouldRetry(err)) return this.retry();
    this.fail(responded && !this.responseStarted ? new LbError("UPSTREAM_PROTOCOL", "backend closed mid-response", { cause: err }) : err);
  }

  /** Relayed → Done (or Tunnel → Done): gives the leg back and lets the client side go on. */
  complete(reusable: boolean): void {
    if (this.phaseNow === Phase.Done) return;
    const wasTunnel = this.phaseNow === Phase.Tunnel;
    this.phaseNow = Phase.Done;
    if (!this.bodyRead()) this.closeWhenDone = true;
    const leg = this.up;
    this.up = null;
    if (leg !== null) leg.release(reusable && this.requestRead && !wasTunnel && this.res !== null && this.res.keepAlive);
    this.client.exchangeDone(this);
  }

  /** Any phase → Done: an error reply when nothing was sent yet, else the client is cut off. */
  fail(err: LbError): void {
    if (this.phaseNow === Phase.Done) return;
    this.error = err;
    this.held = null;
    if (this.encoder !== null) this.stopEncoding(false);
    this.dropLeg();
    if (this.responseStarted) {
      this.phaseNow = Phase.Done;
      this.closeWhenDone = true;
      this.client.exchangeAborted(this);
      return;
    }
    this.reply(this.client.server.hooks.onProxyFailure?.(this, err) ?? errorReply(err));
  }

  /** Any phase before a response → Done: writes a proxy-made response (a gRPC error to a gRPC call). */
  reply(reply: ProxyReply): void {
    if (this.phaseNow === Phase.Done) return;
    this.held = null;
    this.dropLeg();
    this.phaseNow = Phase.Done;
    if (isGrpc(this.req)) reply = grpcReply(reply);
    this.status = reply.status;
    this.replyErrorCode = reply.errorCode ?? null;
    if (!this.bodyRead() || this.error?.source === "downstream" || reply.closeConnection) this.closeWhenDone = true;
    this.client.writeReply(this, reply);
    this.client.exchangeDone(this);
  }


  /**
   * The request's request_timeout_ms passed (retries included): 504 UPSTREAM_TIMEOUT before the
   * response started, else both connections are cut (the client sees a truncated response). The
   * backend connection is closed either way, never pooled: it may still be working on the request.
   */
  requestTimedOut(): void {
    if (this.phaseNow === Phase.Done || this.phaseNow === Phase.Tunnel) return;
    this.up?.destroy();
    this.fail(new LbError("UPSTREAM_TIMEOUT", "request_timeout_ms passed before the response ended", { details: [{ timeout: "request" }] }));
  }

  /** retryOnResponse said yes: the response is dropped with its leg, and the request sent again. */
  private retryAfterResponse(): void {
    this.up?.destroy();
    this.retry();
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
