/**
 * Façade over the HPACK Huffman decoder (assembly/huffman.ts, RFC 7541 §5.2 and Appendix B).
 *
 * One region (input, then output) is reserved on first use and reserved again, larger, only when a
 * longer string arrives, so a decode never allocates in linear memory. Bytes are copied in and out
 * through a Buffer view of linear memory, re-made whenever memory has grown.
 */
import { core, memU8 } from "./core.ts";

/** The string holds the EOS symbol: a decoding error (RFC 7541 §5.2). */
export const HUFFMAN_ERR_EOS = -1;
/** Padding longer than 7 bits, or padding that is not the most significant bits of EOS. */
export const HUFFMAN_ERR_PADDING = -2;
/** The decoded bytes do not fit where the caller asked them to go. */
export const HUFFMAN_ERR_SPACE = -3;

/** The longest output a Huffman string of `n` bytes can decode to (no code is shorter than 5 bits). */
export function huffmanMaxDecoded(n: number): number {
  return Math.floor((n * 8) / 5);
}

type DecodeFn = (src: number, len: number, dst: number, cap: number) => number;

interface Region {
  decode: DecodeFn;
  inPtr: number;
  outPtr: number;
  /** Longest input the region takes. */
  inCap: number;
  outCap: number;
}

/** Room for a 4 KiB string at first: header values beyond that are rare. */
const FIRST_CAP = 4096;

let region: Region | undefined;
let memBuffer: ArrayBuffer | undefined;
let memBuf = Buffer.alloc(0);

function reserve(inLen: number): Region {
  if (region !== undefined && inLen <= region.inCap) return region;
  let inCap = region?.inCap ?? FIRST_CAP;
  while (inCap < inLen) inCap *= 2;
  const ex = core();
  const outCap = huffmanMaxDecoded(inCap);
  const base = (ex.huffmanReserve as (bytes: number) => number)(inCap + outCap);
  region = { decode: ex.huffmanDecode as DecodeFn, inPtr: base, outPtr: base + inCap, inCap, outCap };
  return region;
}

/** A Buffer over linear memory, re-made after growth (a memory.grow detaches the old one). */
function memory(): Buffer {
  const ab = memU8().buffer as ArrayBuffer;
  if (ab !== memBuffer) {
    memBuffer = ab;
    memBuf = Buffer.from(ab);
  }
  return memBuf;
}

/**
 * Decodes the Huffman string src[start, end) into dst at dstPos. Returns the decoded length, or a
 * negative HUFFMAN_ERR_* code (HUFFMAN_ERR_SPACE when dst has no room for the result).
 */
export function huffmanDecodeInto(src: Buffer, start: number, end: number, dst: Buffer, dstPos: number): number {
  const len = end - start;
  if (len <= 0) return 0;
  const r = reserve(len);
  src.copy(memory(), r.inPtr, start, end);
  const room = Math.min(r.outCap, dst.length - dstPos);
  const n = r.decode(r.inPtr, len, r.outPtr, room < 0 ? 0 : room);
  if (n <= 0) return n;
  const mem = memory();
  if (n <= 16) {
    // short strings (most header values): a loop beats the native copy's call overhead
    for (let i = 0; i < n; i++) dst[dstPos + i] = mem[r.outPtr + i]!;
  } else {
    mem.copy(dst, dstPos, r.outPtr, r.outPtr + n);
  }
  return n;
}

/** Decodes a whole Huffman string into a new Buffer, or returns the negative HUFFMAN_ERR_* code. */
export function huffmanDecode(src: Uint8Array): Buffer | number {
  const s = Buffer.from(src.buffer, src.byteOffset, src.length);
  const out = Buffer.allocUnsafe(huffmanMaxDecoded(src.length));
  const n = huffmanDecodeInto(s, 0, s.length, out, 0);
  return n < 0 ? n : out.subarray(0, n);
}
