/**
 * Plain-TypeScript twin of assembly/huffman.ts, written differently on purpose: it reads one bit at
 * a time and looks the bits read so far up in a map of (length, code) pairs, instead of walking a
 * state table. Same contract: the decoded bytes, or "eos" (EOS met inside the string), or "padding"
 * (the string ends in more than 7 bits, or in bits that are not all ones).
 */
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from "../../src/h2/hpack/huffman-table.ts";

export type OracleHuffman = number[] | "eos" | "padding";

const byCode = new Map<number, number>();
for (let s = 0; s <= HUFFMAN_EOS; s++) byCode.set(HUFFMAN_LENGTHS[s]! * 2 ** 32 + HUFFMAN_CODES[s]!, s);

export function oracleHuffmanDecode(bytes: Uint8Array): OracleHuffman {
  const out: number[] = [];
  let code = 0;
  let len = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const sym = byCode.get(len * 2 ** 32 + code);
      if (sym === undefined) continue;
      if (sym === HUFFMAN_EOS) return "eos";
      out.push(sym);
      code = 0;
      len = 0;
    }
  }
  if (len > 7 || code !== 2 ** len - 1) return "padding";
  return out;
}

/** Bit-string encoder for tests: each symbol's code appended, padded with ones to a byte. */
export function oracleHuffmanEncode(symbols: number[]): Uint8Array {
  let bits = "";
  for (const s of symbols) bits += HUFFMAN_CODES[s]!.toString(2).padStart(HUFFMAN_LENGTHS[s]!, "0");
  while (bits.length % 8 !== 0) bits += "1";
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}
