// The WASM ABI of Fulcrum's hot path: re-exports only, one concern per file.
// Called from src/wasm/ alone; see STYLE.md §1 for the rules every kernel follows.
export * from "./hash";
export * from "./maglev";
export * from "./conntrack";
export * from "./clienthello";
export * from "./huffman";
