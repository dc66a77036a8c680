/** @module Fulcrum's HTTP/2 codec (RFC 9113, HPACK RFC 7541): socket-agnostic, both sides, hardened. */
export { H2Connection } from "./connection.ts";
export type { ForwardFields } from "./encode-fields.ts";
export type { H2Role, H2SessionHandler, H2Request } from "./events.ts";
export { H2Stream, StreamState, type H2StreamHandler } from "./stream.ts";
export { HeaderList } from "./header-list.ts";
export type { MalformedReason } from "./header-rules.ts";
export { reuseArena, type H2Output } from "./frame-writer.ts";
export { H2Counters } from "./counters.ts";
export { DEFAULT_H2_OPTIONS, h2Options, type H2Options } from "./options.ts";
export { ErrorCode, FrameType, Flag, SettingId, PREFACE, DRAIN_PING, errorName } from "./constants.ts";
export { looksLikePreface } from "./preface.ts";
