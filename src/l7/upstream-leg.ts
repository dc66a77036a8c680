/**
 * One attempt's way to the backend, whatever the protocol: a keep-alive HTTP/1.1 connection
 * (upstream-conn.ts) or one stream of a multiplexed HTTP/2 connection. The exchange sends its
 * request through it in the leg's own framing and hears the response as exchange events.
 */
import type { LbError } from "../errors.ts";
import type { ResponseHead } from "../http/index.ts";
import type { ProxyCtx } from "./hooks.ts";
import type { Trailers } from "./trailers.ts";
import type { ClientSide } from "./client-side.ts";
import type { RequestIdParts } from "./request-id.ts";

/** What a leg needs of the exchange it carries (implemented by Exchange). */
export interface LegOwner extends ProxyCtx<unknown> {
  readonly client: ClientSide;
  /** The X-Request-Id the engine made (sent upstream), or null when the request had one. */
  readonly generatedId: string | null;
  /** The same id as numbers, formatted without a string by an HTTP/1.1 leg. */
  readonly generatedIdParts: Readonly<RequestIdParts> | null;
  /** The Upgrade value offered to the backend; null = none. */
  readonly upgradeOffer: string | null;
  // response events
  responseHead(res: ResponseHead): void;
  responseBody(buf: Buffer, start: number, end: number): void;
  responseEnd(trailers: Trailers | null): void;
  /** The leg broke: `responded` when any response byte had arrived (a retry is then unsafe). */
  upstreamFailed(err: LbError, responded: boolean): void;
  /** The leg can take request bytes again. */
  onUpstreamDrain(): void;
  /** The response was relayed to its end (and the request too, if the exchange waited for it): done. */
  complete(reusable: boolean): void;
}

/** Where request body bytes and the request's end go: a leg, or what holds them for one. */
export interface RequestSink {
  /** Body bytes buf[start, end) (kept by reference until sent); false = pause the client. */
  sendBody(buf: Buffer, start: number, end: number): boolean;
  /** The request ends, with its trailers if any. */
  sendEnd(trailers: Trailers | null): void;
}

export interface UpstreamLeg extends RequestSink {
  /** The connection served an exchange before this one (a keep-alive race is possible). */
  readonly reused: boolean;
  /** Sends the request head of `ex` (target, forwarding fields, edits): the request starts. */
  sendHead(ex: LegOwner): void;
  /** Holds writes until `uncork` (one client packet's worth leaves together). */
  cork(): void;
  uncork(): void;
  /** Stops (resumes) reading the response: the client is not keeping up. */
  pause(): void;
  resume(): void;
  /** After a 101: client bytes for the backend; false = pause the client. */
  tunnelWrite(buf: Buffer): boolean;
  /** After a 101: the client half-closed. */
  tunnelEnd(): void;
  /** The exchange is done with it: `reusable` when the response was read to its end cleanly. */
  release(reusable: boolean): void;
  /** The exchange failed: the leg goes back only if nothing of it reached the backend, else it closes. */
  abandon(): void;
  /** Closes now, never reused (it may still be working on the request). */
  destroy(): void;
}
