import { describe, expect, test } from "bun:test";
import { fmix32, hashKey } from "../../src/balance/index.ts";

/** Byte-wise MurmurHash3_x86_32, written straight from the reference (smhasher MurmurHash3.cpp): the oracle. */
function murmur3Bytes(data: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51, c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = data.length >> 2;
  for (let b = 0; b < blocks; b++) {
    const o = b * 4;
    let k = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = data.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= data[tail + 2]! << 16;
    if (rest >= 2) k ^= data[tail + 1]! << 8;
    k ^= data[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function utf16le(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    out[2 * i] = s.charCodeAt(i) & 0xff;
    out[2 * i + 1] = s.charCodeAt(i) >>> 8;
  }
  return out;
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe("key hash", () => {
  test("the oracle reproduces MurmurHash3_x86_32's published vectors", () => {
    expect(murmur3Bytes(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3Bytes(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3Bytes(new Uint8Array(0), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3Bytes(new Uint8Array(4), 0)).toBe(0x2362f9de);
    expect(murmur3Bytes(ascii("aaaa"), 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3Bytes(ascii("Hello, world!"), 1234)).toBe(0xfaf6cdb3);
    expect(murmur3Bytes(ascii("The quick brown fox jumps over the lazy dog"), 0)).toBe(0x2e4ff723);
  });

  test("equals murmur3 over the string's UTF-16LE bytes, for even, odd, empty and non-ASCII keys", () => {
    const keys = ["", "a", "ab", "10.0.0.1", "2001:db8::1", "session=abc123;", "żółw", "🙂x", "x".repeat(257)];
    for (let i = 0; i < 200; i++) keys.push(`192.168.${i}.${(i * 37) & 255}`);
    for (const k of keys) {
      expect(hashKey(k)).toBe(murmur3Bytes(utf16le(k), 0));
      expect(hashKey(k, 42)).toBe(murmur3Bytes(utf16le(k), 42));
    }
  });

  test("returns u32 values that spread: 100,000 addresses over 16 buckets within 3% of even", () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const h = hashKey(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      expect(h >= 0 && h <= 0xffffffff && Number.isInteger(h)).toBe(true);
      buckets[h >>> 28]!++;
    }
    for (const b of buckets) expect(Math.abs(b / 100_000 - 1 / 16)).toBeLessThan(0.03 / 16);
  });

  test("fmix32 is a bijection on a sample: no two of 65,536 inputs collide", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 65536; i++) seen.add(fmix32(i * 65537));
    expect(seen.size).toBe(65536);
  });
});
