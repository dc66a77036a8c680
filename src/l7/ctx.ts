/** The ProxyCtx fields every exchange carries (the engine state lives in exchange.ts). */
import type { LbError } from "../errors.ts";
import { H, type RequestHead, type ResponseHead } from "../http/index.ts";
import type { ConnCtx, ProxyCtx, Upstream } from "./hooks.ts";
import type { ConnGroup } from "./conn-group.ts";
import type { Coding, CompressPolicy } from "./compress/index.ts";
import { CtxExtras, NO_EXTRAS } from "./ctx-extras.ts";
import { formatString, nextRequestId, type RequestIdParts } from "./request-id.ts";

export class RequestCtx<U = unknown> implements ProxyCtx<U>, RequestIdParts {
  // Not readonly for the engine: an HTTP/1.1 session reuses its finished exchange for the next
  // request, an HTTP/2 client stream for a later stream, maybe of another connection (`conn` too:
  // see `clear` and `begin`); hooks see them through ProxyCtx, where they are readonly.
  attempt = 0;
  upstream: Upstream | null = null;
  res: ResponseHead | null = null;
  status = 0;
  error: LbError | null = null;
  startedAt = 0;
  upstreamStartedAt = 0;
  responseStartedAt = 0;
  bytesIn = 0;
  bytesOut = 0;
  addRequestFields = "";
  addResponseFields = "";
  trustForwarded = false;
  responseTimeoutMs = 0;
  connectTimeoutMs = 0;
  requestTimeoutMs = 0;
  /** Most time a transfer of this request may stall (route or pool idle_timeout_ms); 0 = the listener's. */
  idleTimeoutMs = 0;
  connGroup: ConnGroup | null = null;
  reusedConnection = false;
  // The engine's id when the request carried no X-Request-Id (request-id.ts): kept as numbers,
  // made a string only when something reads requestId or generatedId.
  idMs = 0;
  idSeq = 0;
  idHi = 0;
  idLo = 0;
  #givenId: string | null = null;
  #idString: string | null = null;

  constructor(public req: RequestHead, public conn: ConnCtx, readonly proto: string, public user: U, public httpVersion = "HTTP/1.1") {
    this.identify();
  }

  private identify(): void {
    this.#givenId = this.req.has(H.X_REQUEST_ID) ? (this.req.get("x-request-id") ?? null) : null;
    this.#idString = null;
    if (this.#givenId === null) nextRequestId(this, Date.now());
    this.startedAt = performance.now();
  }

  /** The incoming X-Request-Id, or the one the engine made. */
  get requestId(): string {
    return this.#givenId ?? (this.#idString ??= formatString(this));
  }

  /** The X-Request-Id the engine made (sent upstream), or null when the request had one. */
  get generatedId(): string | null {
    return this.#givenId === null ? this.requestId : null;
  }

  /** generatedId's parts, for writing it without a string (null when the request had one). */
  get generatedIdParts(): Readonly<RequestIdParts> | null {
    return this.#givenId === null ? this : null;
  }

  /**
   * Every field but the request head back to a new request's value, `user` the hooks' state (the
   * engine reuses a finished exchange only once nothing can reach it: see Session.exchangeDone).
   */
  protected clear(user: U): void {
    this.user = user;
    this.attempt = 0;
    this.upstream = null;
    this.res = null;
    this.status = 0;
    this.error = null;
    this.upstreamStartedAt = 0;
    this.responseStartedAt = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.addRequestFields = "";
    this.addResponseFields = "";
    this.trustForwarded = false;
    this.responseTimeoutMs = 0;
    this.connectTimeoutMs = 0;
    this.requestTimeoutMs = 0;
    this.idleTimeoutMs = 0;
    this.connGroup = null;
    this.reusedConnection = false;
    this.#extras = null;
  }

  /** A cleared ctx takes the next request, which came on `conn`. */
  protected begin(req: RequestHead, conn: ConnCtx, httpVersion: string): void {
    this.req = req;
    this.conn = conn;
    this.httpVersion = httpVersion;
    this.identify();
  }

  get clientAddress(): string { return this.conn.clientAddress; }

  // ---- the rarely set fields, in CtxExtras (made on the first non-default write) ----
  #extras: CtxExtras | null = null;
  #x(): CtxExtras { return (this.#extras ??= new CtxExtras()); }
  get #r(): Readonly<CtxExtras> { return this.#extras ?? NO_EXTRAS; }

  get upstreamTarget(): string | null { return this.#r.upstreamTarget; }
  set upstreamTarget(v: string | null) { if (v !== null || this.#extras !== null) this.#x().upstreamTarget = v; }
  get upstreamHost(): string | null { return this.#r.upstreamHost; }
  set upstreamHost(v: string | null) { if (v !== null || this.#extras !== null) this.#x().upstreamHost = v; }
  get replayBodyBytes(): number { return this.#r.replayBodyBytes; }
  set replayBodyBytes(v: number) { if (v !== 0 || this.#extras !== null) this.#x().replayBodyBytes = v; }
  get upgrades(): readonly string[] { return this.#r.upgrades; }
  set upgrades(v: readonly string[]) { if (v !== NO_EXTRAS.upgrades || this.#extras !== null) this.#x().upgrades = v; }
  get dropRequestFields(): string[] | null { return this.#r.dropRequestFields; }
  set dropRequestFields(v: string[] | null) { if (v !== null || this.#extras !== null) this.#x().dropRequestFields = v; }
  get dropResponseFields(): string[] | null { return this.#r.dropResponseFields; }
  set dropResponseFields(v: string[] | null) { if (v !== null || this.#extras !== null) this.#x().dropResponseFields = v; }
  get replyErrorCode(): string | null { return this.#r.replyErrorCode; }
  set replyErrorCode(v: string | null) { if (v !== null || this.#extras !== null) this.#x().replyErrorCode = v; }
  get compress(): CompressPolicy | null { return this.#r.compress; }
  set compress(v: CompressPolicy | null) { if (v !== null || this.#extras !== null) this.#x().compress = v; }
  get contentCoding(): Coding | null { return this.#r.contentCoding; }
  set contentCoding(v: Coding | null) { if (v !== null || this.#extras !== null) this.#x().contentCoding = v; }
  get compressedIn(): number { return this.#r.compressedIn; }
  set compressedIn(v: number) { if (v !== 0 || this.#extras !== null) this.#x().compressedIn = v; }
  get compressedOut(): number { return this.#r.compressedOut; }
  set compressedOut(v: number) { if (v !== 0 || this.#extras !== null) this.#x().compressedOut = v; }
}
