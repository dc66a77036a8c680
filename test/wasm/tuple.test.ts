import { describe, expect, test } from "bun:test";
import { isLbError } from "../../src/errors.ts";
import { encodeIp, encodeTuple, PROTO_TCP, PROTO_UDP, TUPLE_BYTES } from "../../src/wasm/index.ts";

function ip16(text: string): number[] {
  const b = new Uint8Array(16);
  encodeIp(b, 0, text);
  return [...b];
}

function expectInvalid(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    expect(isLbError(e, "INVALID_ARGUMENT")).toBe(true);
    return;
  }
  throw new Error("accepted invalid input");
}

/** Formats 16 bytes as IPv6 text, full or with the longest zero run compressed to "::". */
function formatV6(b: Uint8Array, compress: boolean): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  if (!compress) return groups.join(":");
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
  }
  if (bestLen < 1) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

describe("encodeTuple", () => {
  test("lays out an IPv4 flow as IPv4-mapped addresses, little-endian ports and the protocol", () => {
    const out = new Uint8Array(TUPLE_BYTES + 8).fill(0xaa);
    encodeTuple(out, 4, "192.168.1.2", 0x1234, "10.0.0.1", 443, PROTO_TCP);
    const t = [...out.subarray(4, 4 + TUPLE_BYTES)];
    expect(t.slice(0, 16)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 2]);
    expect(t.slice(16, 32)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
    expect(t.slice(32, 40)).toEqual([0x34, 0x12, 443 & 0xff, 443 >> 8, 6, 0, 0, 0]);
    // Bytes outside the tuple are untouched.
    expect([...out.subarray(0, 4), ...out.subarray(4 + TUPLE_BYTES)]).toEqual(new Array(8).fill(0xaa));
  });

  test("parses IPv6 text: full, compressed, loopback, unspecified and a dotted-quad tail", () => {
    expect(ip16("::1")).toEqual([...new Array(15).fill(0), 1]);
    expect(ip16("::")).toEqual(new Array(16).fill(0));
    expect(ip16("2001:db8::1")).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(ip16("2001:DB8:0:0:0:0:0:1")).toEqual(ip16("2001:db8::1"));
    expect(ip16("fe80::")).toEqual([0xfe, 0x80, ...new Array(14).fill(0)]);
    expect(ip16("::ffff:1.2.3.4")).toEqual(ip16("1.2.3.4"));
    expect(ip16("64:ff9b::192.0.2.33")).toEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]);
    expect(ip16("1:2:3:4:5:6:7::")).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]);
  });

  test("round-trips 2,000 random IPv6 addresses written in full and compressed form", () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(16).map(() => next());
      // Zero some groups so "::" has runs to compress.
      for (let g = 0; g < 8; g++) if (next() < 100) b[2 * g] = b[2 * g + 1] = 0;
      expect(ip16(formatV6(b, false))).toEqual([...b]);
      expect(ip16(formatV6(b, true))).toEqual([...b]);
    }
  });

  test("rejects malformed addresses", () => {
    const bad = [
      "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", " 1.2.3.4",
      "1::2::3", ":1::", "1:::2", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1",
      "fe80::1%eth0", "[::1]", "::1.2.3.4:5", "1.2.3.4::", "1::2:3:4:5:6:7:8", "::ffff:1.2.3.256",
    ];
    for (const ip of bad) expectInvalid(() => ip16(ip));
  });

  test("rejects ports and protocols out of range and a buffer too short", () => {
    const out = new Uint8Array(TUPLE_BYTES);
    expectInvalid(() => encodeTuple(out, 0, "1.2.3.4", 65536, "5.6.7.8", 80, PROTO_TCP));
    expectInvalid(() => encodeTuple(out, 0, "1.2.3.4", -1, "5.6.7.8", 80, PROTO_TCP));
    expectInvalid(() => encodeTuple(out, 0, "1.2.3.4", 1.5, "5.6.7.8", 80, PROTO_TCP));
    expectInvalid(() => encodeTuple(out, 0, "1.2.3.4", 1, "5.6.7.8", 80, 256));
    expectInvalid(() => encodeTuple(out, 1, "1.2.3.4", 1, "5.6.7.8", 80, PROTO_UDP));
    expectInvalid(() => encodeTuple(out, 0, "1.2.3.4", 1, "example.com", 80, PROTO_UDP));
  });
});
