/** @module PROXY protocol v1/v2: encoders for upstreams, a strict incremental parser and reader. */
export * from "./header.ts";
export * from "./encode.ts";
export * from "./parse.ts";
export * from "./reader.ts";
