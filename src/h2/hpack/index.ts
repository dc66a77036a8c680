/** @module HPACK (RFC 7541): header compression for HTTP/2, decoder with the WASM Huffman kernel. */
export { HpackDecoder } from "./decoder.ts";
export { HpackEncoder } from "./encoder.ts";
export { DecodedBlock } from "./decoded-block.ts";
export { ENTRY_OVERHEAD } from "./decoder-table.ts";
export { STATIC_COUNT, staticEntry } from "./static-table.ts";
export { huffmanEncodeInto, huffmanEncodedLength } from "./huffman-encode.ts";
export { HUFFMAN_CODES, HUFFMAN_LENGTHS, HUFFMAN_EOS } from "./huffman-table.ts";
