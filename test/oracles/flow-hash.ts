/**
 * Plain-TypeScript twin of the 5-tuple flow hash (assembly/hash.ts `hashTupleAt`), written from the
 * definition: NH over the ten little-endian u32 words of the 40-byte tuple, each word plus its
 * seed-derived key mod 2^32, multiplied in pairs (source word i × destination word i, ports ×
 * protocol word) into 64-bit products summed mod 2^64, then MurmurHash3's fmix64, low 32 bits.
 */
const MASK = (1n << 64n) - 1n;
const KEYS_SRC = [0x243f6a89, 0x85a308d3, 0x13198a2f, 0x03707345];
const KEYS_DST = [0xa4093823, 0x299f31d1, 0x082efa99, 0xec4e6c89];
const KEY_PORTS = 0xb7e15163;
const KEY_PROTO = 0x9e3779b9;

function word(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** (w + (key ^ seed)) mod 2^32, as a BigInt. */
function keyed(w: number, key: number, seed: number): bigint {
  return BigInt((w + ((key ^ seed) >>> 0)) >>> 0);
}

function fmix64(x: bigint): bigint {
  let h = x ^ (x >> 33n);
  h = (h * 0xff51afd7ed558ccdn) & MASK;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & MASK;
  return h ^ (h >> 33n);
}

/** Flow hash of the tuple at `tuple[offset..offset+40]` with a u32 `seed`. */
export function flowHashOracle(tuple: Uint8Array, offset = 0, seed = 0): number {
  let sum = 0n;
  for (let i = 0; i < 4; i++) {
    const s = keyed(word(tuple, offset + 4 * i), KEYS_SRC[i]!, seed);
    const d = keyed(word(tuple, offset + 16 + 4 * i), KEYS_DST[i]!, seed);
    sum += s * d;
  }
  sum += keyed(word(tuple, offset + 32), KEY_PORTS, seed) * keyed(word(tuple, offset + 36), KEY_PROTO, seed);
  return Number(fmix64(sum & MASK) & 0xffffffffn);
}
