/**
 * The key hash for lookups: MurmurHash3 x86_32 (Austin Appleby, public domain) over the string's
 * UTF-16 code units, read as little-endian bytes two units per 32-bit block. Plain TypeScript on
 * purpose: BUN-NOTES measured a per-key WASM call slower than inlined TS, and this loop allocates
 * nothing (charCodeAt on a flat string, Math.imul, no temporary buffers).
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** u32 MurmurHash3_x86_32 of `s` as UTF-16LE bytes, with `seed`. Same input, same hash, on every node. */
export function hashKey(s: string, seed = 0): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    // odd unit count: a 2-byte tail
    let k = s.charCodeAt(i);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= n << 1; // the length in bytes
  return fmix32(h);
}

/** Murmur3's finaliser: a bijective avalanche over u32 (used to perturb a hash per attempt). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
