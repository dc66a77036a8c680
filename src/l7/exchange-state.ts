/**
 * What an Exchange carries between its transitions (exchange.ts makes them): its phase, whether
 * the request was read to its end, whether the client connection closes after it, its way to the
 * backend, the rarely used extras, and the questions the transitions ask of that state. Only the
 * transitions (exchange-request.ts, exchange.ts) move the phase; others read it through getters.
 */
import { BodyKind, type RequestHead } from "../http/index.ts";
import type { LbError } from "../errors.ts";
import type { ClientSide } from "./client-side.ts";
import { RequestCtx } from "./ctx.ts";
import type { BodyEncoder } from "./compress/index.ts";
import type { ConnGroup } from "./conn-group.ts";
import { ExchangeExtras, NO_EXCHANGE_EXTRAS } from "./exchange-extras.ts";
import { Phase } from "./exchange-phase.ts";
import type { HeldRequest } from "./held-request.ts";
import type { ReplayBody } from "./replay-body.ts";
import type { Trailers } from "./trailers.ts";
import type { UpstreamLeg } from "./upstream-leg.ts";

export abstract class ExchangeState<U> extends RequestCtx<U> {
  protected phaseNow = Phase.Start;
  protected requestRead = false;
  protected closeWhenDone: boolean;
  /** The current attempt's way to the backend; null before one is bound and after the end. */
  up: UpstreamLeg | null = null;
  /** The Upgrade value offered to the backend (the request's allowed protocols); null = no upgrade. */
  upgradeOffer: string | null = null;
  /** held, waitingIn, replay, trailers, encoder: see exchange-extras.ts. */
  #more: ExchangeExtras | null = null;
  get #m(): Readonly<ExchangeExtras> { return this.#more ?? NO_EXCHANGE_EXTRAS; }
  protected get held(): HeldRequest | null { return this.#m.held; }
  protected set held(v: HeldRequest | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).held = v; }
  protected get waitingIn(): ConnGroup | null { return this.#m.waitingIn; }
  protected set waitingIn(v: ConnGroup | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).waitingIn = v; }
  protected get replay(): ReplayBody | null { return this.#m.replay; }
  protected set replay(v: ReplayBody | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).replay = v; }
  protected get trailers(): Trailers | null { return this.#m.trailers; }
  protected set trailers(v: Trailers | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).trailers = v; }
  protected get encoder(): BodyEncoder | null { return this.#m.encoder; }
  protected set encoder(v: BodyEncoder | null) { if (v !== null || this.#more !== null) (this.#more ??= new ExchangeExtras()).encoder = v; }

  constructor(readonly client: ClientSide, req: RequestHead) {
    super(req, client.conn, client.server.proto, client.server.hooks.newCtx?.() as U, client.httpVersion(req));
    this.closeWhenDone = !req.keepAlive || client.server.draining;
  }

  /**
   * Lets go of what the finished request used (its response head, backend, the hooks' state,
   * reset by newCtx), so an idle connection's kept exchange holds nothing of it alive: a reloaded
   * config's routes and pools, for one. Only for an exchange that `recyclable` said nothing can
   * reach any more, after onLog.
   */
  retire(): void {
    this.clear(this.client.server.hooks.newCtx?.(this.user) as U);
    this.requestRead = false;
    this.upgradeOffer = null;
    this.#more = null;
    // still Done: the callers that ended it may read `finished` as they unwind
  }

  /** Makes this retired exchange the exchange of the client's next request `req`: what a new one would be. */
  renewFor(req: RequestHead): void {
    this.begin(req, this.client.conn, this.client.httpVersion(req));
    this.closeWhenDone = !req.keepAlive || this.client.server.draining;
    this.phaseNow = Phase.Start;
  }

  /**
   * Over without an error, its leg given back and no wait pending, and never a tunnel: no leg,
   * queue or deadline holds it, so it may serve the client's next request. A failed exchange is
   * never reused: a timeout or an abort may leave a late event behind (a destroyed leg, a reset).
   */
  get recyclable(): boolean {
    return this.phaseNow === Phase.Done && this.error === null && this.up === null && this.res?.bodyKind !== BodyKind.Tunnel
      && (this.#more === null || this.#more.waitingIn === null);
  }

  get phase(): Phase { return this.phaseNow; }
  /** The client's request has been read to its end. */
  get requestDone(): boolean { return this.requestRead; }
  /** Over: nothing more happens. */
  get finished(): boolean { return this.phaseNow === Phase.Done; }
  /** Both connections carry raw bytes (after a 101). */
  get tunnel(): boolean { return this.phaseNow === Phase.Tunnel; }
  /** A response head went to the client and the exchange is not over. */
  get responseStarted(): boolean { return this.phaseNow >= Phase.Responding && this.phaseNow !== Phase.Done; }
  /** The client connection closes once this response is flushed. */
  get closeAfter(): boolean { return this.closeWhenDone; }

  closeClientAfter(): void {
    this.closeWhenDone = true;
  }

  /** The whole request has been read from the client (a bodiless one as soon as its head is). */
  bodyRead(): boolean {
    return this.requestRead || this.req.bodyKind === BodyKind.None;
  }

  /** The request can be sent again: no body bytes read yet, or every one of them kept. */
  replayable(): boolean {
    return this.bytesIn === 0 || (this.replay !== null && this.replay.covers(this.bytesIn));
  }

  protected bind(leg: UpstreamLeg): void {
    this.up = leg;
    this.reusedConnection = leg.reused;
  }

  /** Lets go of the leg after a failure (see UpstreamLeg.abandon), or of its place in the queue. */
  protected dropLeg(): void {
    this.up?.abandon();
    this.up = null;
    if (this.waitingIn !== null) this.waitingIn.cancel(this);
    this.waitingIn = null;
  }

  /** The hook decides; by default one retry of a bodiless request on a reused connection (keep-alive race). */
  protected shouldRetry(err: LbError): boolean {
    if (this.attempt >= 10) return false;
    const hook = this.client.server.hooks.onConnectFailure;
    if (hook !== undefined) return hook(this, err);
    if (err.code === "UPSTREAM_REFUSED") return this.attempt < 3; // never processed: safe whatever the method
    return err.retryable && this.req.bodyKind === BodyKind.None && this.reusedConnection && this.attempt < 2;
  }
}
