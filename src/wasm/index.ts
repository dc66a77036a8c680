/** @module The typed façade over the WebAssembly core; nothing else touches WebAssembly. */
export * from "./core.ts";
