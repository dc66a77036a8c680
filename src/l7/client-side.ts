/**
 * What an exchange needs from the client connection its request came on, whatever the codec: an
 * HTTP/1.1 Session (one exchange at a time) or one stream of an HTTP/2 connection. The exchange
 * decides; the client side only writes in its own framing and keeps the clocks (deadline.ts).
 */
import type { ConnCtx, ProxyReply } from "./hooks.ts";
import type { RequestHead, ResponseHead } from "../http/index.ts";
import type { ServerCore } from "./server-core.ts";
import type { Trailers } from "./trailers.ts";

/** The response side of an exchange as its client side sees it. */
export interface ClientExchange {
  readonly req: RequestHead;
  readonly closeAfter: boolean;
  readonly addResponseFields: string;
  /** The coding the engine compresses the body with (its head says so; it streams with no length); null = none. */
  readonly contentCoding: string | null;
  /** Status and error code of what was sent (for a reply, set before writeReply). */
  readonly status: number;
  /** The whole request body has been read from the client. */
  bodyRead(): boolean;
  /** From now on the client connection ends after this response. */
  closeClientAfter(): void;
}

export interface ClientSide {
  readonly server: ServerCore;
  /** The client: the TCP peer, or the source a trusted PROXY header carried. */
  readonly clientAddress: string;
  /** The hooks' view of the connection (shared by an HTTP/2 connection's streams). */
  readonly conn: ConnCtx;
  /** X-Forwarded-For/Proto lines for this client, built once per connection. */
  readonly identity: string;
  /** "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0": how `req` came. */
  httpVersion(req: RequestHead): string;
  /** True while a client packet is being parsed: no new upstream connection opens until it parsed. */
  readonly corking: boolean;

  // ---- clocks (deadline.ts) ----
  /** When the request's request_timeout_ms passes (Date clock, ms); 0 = none. */
  requestDeadline: number;
  /** Sets requestDeadline (a connection files it with its listener's sweep). */
  requestBy(at: number): void;
  /** The request's idle_timeout_ms while it streams; 0 = the listener's. */
  streamIdleMs: number;
  /** When the head began if it spanned packets (else 0); resets. */
  takeHeadStart(): number;
  /** The request is fully sent upstream: the response-header timeout runs (`ms` 0 = the listener's). */
  awaitResponse(ms?: number): void;
  /** Bodies are flowing: only stalls time out. */
  streaming(): void;
  /** Activity while streaming. */
  touch(): void;

  // ---- request direction ----
  /** The upstream cannot take more: stop reading the client's body. */
  pauseReading(): void;
  resumeReading(): void;

  // ---- response direction ----
  /**
   * True when a chunked response body should come with its chunk framing (relayed byte for byte):
   * only an HTTP/1.1 client can take it so. Otherwise bodies arrive decoded, trailers apart.
   */
  rawChunks(req: RequestHead): boolean;
  /** Holds what the next writes produce until `uncork`, so they leave together. */
  cork(): void;
  uncork(): void;
  /** An interim (1xx) head. */
  writeInterim(ex: ClientExchange, res: ResponseHead): void;
  /** The final head (after onResponse); false = pause the source until the client drains. */
  writeHead(ex: ClientExchange, res: ResponseHead): boolean;
  /** Body bytes buf[start, end) (kept by reference until written); false = pause the source. */
  writeBody(buf: Buffer, start: number, end: number): boolean;
  /** The response ends, with trailers when the backend sent some (a raw chunked relay sent them already). */
  writeEnd(trailers: Trailers | null): void;
  /** A response made by the proxy (error or hook reply). */
  writeReply(ex: ClientExchange, reply: ProxyReply): void;
  /** A 101 was relayed: the stream becomes a byte tunnel with the backend; returns the status the client saw. */
  startTunnel(ex: ClientExchange, res: ResponseHead): number;

  // ---- the end ----
  /** The exchange finished normally (or with a proxy reply). */
  exchangeDone(ex: ClientExchange): void;
  /** The exchange broke after its response started: the client must learn it was cut short. */
  exchangeAborted(ex: ClientExchange): void;
}
