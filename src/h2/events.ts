/** What a connection's owner implements and passes in (the engine's side of the API). */
import type { HeaderList } from "./header-list.ts";
import type { H2Stream } from "./stream.ts";

export type H2Role = "server" | "client";

/** Connection-level events for the connection's owner. */
export interface H2SessionHandler {
  /** Server side: a request opened `stream`. Set `stream.handler` to hear about its body and end. */
  onStream?(stream: H2Stream, head: HeaderList, endStream: boolean): void;
  /** The peer's SETTINGS were applied (its limits, e.g. peerMaxStreams, may have changed). */
  onSettings?(): void;
  /** The peer sent GOAWAY: streams above `lastStreamId` were not processed (they get REFUSED_STREAM). */
  onGoaway?(code: number, lastStreamId: number, debug: string): void;
  /** The connection is over (transport closing or closed); called once. */
  onClose?(code: number, reason: string): void;
}

/** A request this side sends (client role). CONNECT carries only `authority`, unless it is extended. */
export interface H2Request {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  /** An extended CONNECT's protocol (RFC 8441, e.g. "websocket"; the peer must allow it). */
  protocol?: string;
  /** Other fields as name, value, name, value...; connection-specific ones are dropped. */
  fields?: readonly string[];
}
