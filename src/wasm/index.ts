/** @module The typed façade over the WebAssembly core; nothing else touches WebAssembly. */
export * from "./core.ts";
export * from "./tuple.ts";
export * from "./hash.ts";
export * from "./maglev.ts";
export * from "./conntrack.ts";
export * from "./clienthello.ts";
export * from "./huffman.ts";
