// HPACK Huffman decoding (RFC 7541 §5.2, code table of Appendix B) as a nibble-driven finite state
// machine, the shape nghttp2 and h2o use: the states are the 256 internal nodes of the code tree,
// and one table lookup per 4 input bits gives the next state, at most one decoded symbol (no code
// is shorter than 5 bits) and whether the bits so far may end the string.
//
// Called from src/wasm/huffman.ts only. huffmanReserve builds the 16 KiB transition table on its
// first call and hands out a region for input and output; huffmanDecode never allocates. Errors come
// back as negative sentinels (HUFF_ERR_*): the EOS symbol inside a string, padding that is longer
// than 7 bits or not a prefix of EOS (all ones), and an output region too small.

/** Decode results below zero: the string holds the EOS symbol (RFC 7541 §5.2: a decoding error). */
export const HUFF_ERR_EOS: i32 = -1;
/** The string ends in padding longer than 7 bits or not all ones (RFC 7541 §5.2). */
export const HUFF_ERR_PADDING: i32 = -2;
/** The decoded bytes do not fit in the output capacity given. */
export const HUFF_ERR_SPACE: i32 = -3;

const EOS: u32 = 256;
const STATES: u32 = 256;
// Transition entry (u32): next state in bits 0-7, flags in bits 8-10, the emitted symbol in 16-23.
const EMIT: u32 = 1 << 8;
const ACCEPT: u32 = 1 << 9;
const FAIL: u32 = 1 << 10;

// Appendix B, in symbol order: the code (aligned to the least significant bit) and its length.
const CODES = memory.data<u32>([
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
  0x3fffffff,
]);
const LENS = memory.data<u8>([
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]);

let table: usize = 0; // u32[STATES * 16]

/**
 * Builds the code tree: child[2 * node + bit] is an internal node id (> 0) or a leaf, stored as
 * -(symbol + 1). Node 0 is the root; ids are given in the order nodes are first reached.
 */
function buildTree(child: usize): void {
  let next: i32 = 1;
  for (let s: u32 = 0; s <= EOS; s++) {
    const code = load<u32>(CODES + (<usize>s << 2));
    const len = <u32>load<u8>(LENS + <usize>s);
    let node: i32 = 0;
    for (let i: i32 = <i32>len - 1; i > 0; i--) {
      const slot = child + ((<usize>node << 1) + <usize>((code >>> <u32>i) & 1)) * 2;
      let to = <i32>load<i16>(slot);
      if (to == 0) {
        to = next++;
        store<i16>(slot, <i16>to);
      }
      node = to;
    }
    store<i16>(child + ((<usize>node << 1) + <usize>(code & 1)) * 2, <i16>(-(<i32>s + 1)));
  }
}

/**
 * A node may end a string when the path to it is all ones and at most 7 bits long: the padding
 * RFC 7541 §5.2 allows (the most significant bits of EOS). The root ends one on a symbol boundary.
 */
function markAccepting(child: usize, accept: usize): void {
  store<u8>(accept, 1);
  let node: i32 = 0;
  for (let depth = 1; depth <= 7; depth++) {
    node = <i32>load<i16>(child + ((<usize>node << 1) + 1) * 2);
    store<u8>(accept + <usize>node, 1);
  }
}

/** Walks the 4 bits of `nibble` from internal node `from`: the transition-table entry. */
function transition(child: usize, accept: usize, from: i32, nibble: u32): u32 {
  let node = from;
  let flags: u32 = 0;
  let sym: u32 = 0;
  for (let b: i32 = 3; b >= 0; b--) {
    const to = <i32>load<i16>(child + ((<usize>node << 1) + <usize>((nibble >>> <u32>b) & 1)) * 2);
    if (to >= 0) {
      node = to;
      continue;
    }
    sym = <u32>(-to - 1);
    if (sym == EOS) return FAIL;
    flags |= EMIT;
    node = 0;
  }
  if (load<u8>(accept + <usize>node) != 0) flags |= ACCEPT;
  return <u32>node | flags | (sym << 16);
}

function buildTable(): void {
  const child = heap.alloc(<usize>STATES * 4);
  memory.fill(child, 0, <usize>STATES * 4);
  const accept = heap.alloc(<usize>STATES);
  memory.fill(accept, 0, <usize>STATES);
  buildTree(child);
  markAccepting(child, accept);
  table = heap.alloc(<usize>STATES * 16 * 4);
  for (let s: i32 = 0; s < <i32>STATES; s++) {
    for (let n: u32 = 0; n < 16; n++) {
      store<u32>(table + ((<usize>s << 4) + <usize>n) * 4, transition(child, accept, s, n));
    }
  }
  heap.free(accept);
  heap.free(child);
}

/** Builds the transition table on first use, then reserves `bytes` for the caller (never freed). */
export function huffmanReserve(bytes: u32): usize {
  if (table == 0) buildTable();
  return heap.alloc(<usize>bytes);
}

/**
 * Decodes the Huffman string src[0, len) into dst (at most `cap` bytes). Returns the decoded length,
 * or a HUFF_ERR_* sentinel. huffmanReserve must have run once before.
 */
export function huffmanDecode(src: usize, len: u32, dst: usize, cap: u32): i32 {
  let state: u32 = 0;
  let accepting: u32 = ACCEPT;
  let o: u32 = 0;
  const t = table;
  for (let i: u32 = 0; i < len; i++) {
    const b = <u32>load<u8>(src + <usize>i);
    let e = load<u32>(t + (<usize>((state << 4) | (b >>> 4)) << 2));
    if ((e & FAIL) != 0) return HUFF_ERR_EOS;
    if ((e & EMIT) != 0) {
      if (o >= cap) return HUFF_ERR_SPACE;
      store<u8>(dst + <usize>o, <u8>(e >>> 16));
      o++;
    }
    e = load<u32>(t + (<usize>(((e & 0xff) << 4) | (b & 0xf)) << 2));
    if ((e & FAIL) != 0) return HUFF_ERR_EOS;
    if ((e & EMIT) != 0) {
      if (o >= cap) return HUFF_ERR_SPACE;
      store<u8>(dst + <usize>o, <u8>(e >>> 16));
      o++;
    }
    state = e & 0xff;
    accepting = e & ACCEPT;
  }
  return accepting != 0 ? <i32>o : HUFF_ERR_PADDING;
}
