/** The ProxyCtx fields every exchange carries (the engine state lives in exchange.ts). */
import type { LbError } from "../errors.ts";
import { H, type RequestHead, type ResponseHead } from "../http/index.ts";
import type { ProxyCtx, Upstream } from "./hooks.ts";
import type { ConnGroup } from "./conn-group.ts";
import { DEFAULT_UPGRADES } from "./upgrade.ts";

/** Request ids: a random per-process prefix and a counter (unique, and far cheaper than a UUID each). */
const ID_PREFIX = `${crypto.randomUUID().slice(0, 23)}-`;
let idCounter = 0;
function nextRequestId(): string {
  return ID_PREFIX + ++idCounter;
}

export class RequestCtx<U = unknown> implements ProxyCtx<U> {
  readonly requestId: string;
  attempt = 0;
  upstream: Upstream | null = null;
  res: ResponseHead | null = null;
  status = 0;
  error: LbError | null = null;
  readonly startedAt = performance.now();
  upstreamStartedAt = 0;
  responseStartedAt = 0;
  bytesIn = 0;
  bytesOut = 0;
  upstreamTarget: string | null = null;
  upstreamHost: string | null = null;
  addRequestFields = "";
  addResponseFields = "";
  trustForwarded = false;
  replayBodyBytes = 0;
  upgrades: readonly string[] = DEFAULT_UPGRADES;
  dropRequestFields: string[] | null = null;
  dropResponseFields: string[] | null = null;
  responseTimeoutMs = 0;
  connectTimeoutMs = 0;
  requestTimeoutMs = 0;
  /** Most time a transfer of this request may stall (route or pool idle_timeout_ms); 0 = the listener's. */
  idleTimeoutMs = 0;
  connGroup: ConnGroup | null = null;
  reusedConnection = false;
  replyErrorCode: string | null = null;
  /** Set when the request carried no X-Request-Id and the engine made one (it is sent upstream). */
  readonly generatedId: string | null;

  constructor(
    readonly req: RequestHead, readonly clientAddress: string, readonly proto: string, public user: U, readonly httpVersion = "HTTP/1.1",
  ) {
    const id = req.has(H.X_REQUEST_ID) ? req.get("x-request-id") : undefined;
    this.generatedId = id === undefined ? nextRequestId() : null;
    this.requestId = id ?? this.generatedId!;
  }
}
