/** @module Fulcrum's strict HTTP/1.1 codec (RFC 9112): incremental parsers, heads, serialisers. */
export * from "./head.ts";
export * from "./limits.ts";
export * from "./parse-error.ts";
export * from "./message-parser.ts";
export * from "./request-parser.ts";
export * from "./response-parser.ts";
export * from "./serialize.ts";
export { reasonPhrase } from "./reason.ts";
export { ChunkedDecoder } from "./chunked.ts";
