/**
 * Plain-TypeScript xxHash64 (the reference XXH64 by Yann Collet), written for clarity with BigInt:
 * the oracle the WASM kernel is checked against. Slow by design; never used outside tests.
 */
const MASK = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const add = (a: bigint, b: bigint): bigint => (a + b) & MASK;
const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;

function readU64(b: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
}

function readU32(b: Uint8Array, at: number): bigint {
  return BigInt((b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0);
}

function round(acc: bigint, input: bigint): bigint {
  return mul(rotl(add(acc, mul(input, P2)), 31n), P1);
}

function mergeRound(acc: bigint, val: bigint): bigint {
  return add(mul(acc ^ round(0n, val), P1), P4);
}

/** XXH64 of `data` (a string hashes as UTF-8) with a 64-bit `seed`. */
export function xxh64Oracle(data: Uint8Array | string, seed: bigint = 0n): bigint {
  const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const s = seed & MASK;
  const len = b.length;
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = add(add(s, P1), P2);
    let v2 = add(s, P2);
    let v3 = s;
    let v4 = (s - P1) & MASK;
    while (p + 32 <= len) {
      v1 = round(v1, readU64(b, p));
      v2 = round(v2, readU64(b, p + 8));
      v3 = round(v3, readU64(b, p + 16));
      v4 = round(v4, readU64(b, p + 24));
      p += 32;
    }
    h = add(add(rotl(v1, 1n), rotl(v2, 7n)), add(rotl(v3, 12n), rotl(v4, 18n)));
    for (const v of [v1, v2, v3, v4]) h = mergeRound(h, v);
  } else {
    h = add(s, P5);
  }
  h = add(h, BigInt(len));
  for (; p + 8 <= len; p += 8) h = add(mul(rotl(h ^ round(0n, readU64(b, p)), 27n), P1), P4);
  if (p + 4 <= len) {
    h = add(mul(rotl(h ^ mul(readU32(b, p), P1), 23n), P2), P3);
    p += 4;
  }
  for (; p < len; p++) h = mul(rotl(h ^ mul(BigInt(b[p]!), P5), 11n), P1);
  h = mul(h ^ (h >> 33n), P2);
  h = mul(h ^ (h >> 29n), P3);
  return h ^ (h >> 32n);
}
