import { describe, expect, test } from "bun:test";
import {
  HUFFMAN_ERR_EOS, HUFFMAN_ERR_PADDING, HUFFMAN_ERR_SPACE, huffmanDecode, huffmanDecodeInto,
} from "../../src/wasm/index.ts";
import { huffmanEncodeInto, huffmanEncodedLength } from "../../src/h2/hpack/huffman-encode.ts";
import { oracleHuffmanDecode, oracleHuffmanEncode, type OracleHuffman } from "../oracles/huffman.ts";
import { mulberry32 } from "../helpers/rng.ts";
import { HUFFMAN_STRINGS, hex } from "../h2/rfc7541-vectors.ts";

/** The kernel's answer in the oracle's terms. */
function kernel(bytes: Uint8Array): OracleHuffman | "space" {
  const r = huffmanDecode(bytes);
  if (typeof r !== "number") return [...r];
  if (r === HUFFMAN_ERR_EOS) return "eos";
  if (r === HUFFMAN_ERR_PADDING) return "padding";
  return "space";
}

function encode(s: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  expect(huffmanEncodeInto(s, out, 0)).toBe(out.length);
  return out;
}

const latin1 = (codes: number[]): string => String.fromCharCode(...codes);

describe("RFC 7541 Appendix C Huffman strings", () => {
  for (const [h, text] of HUFFMAN_STRINGS) {
    test(`decodes ${JSON.stringify(text)}`, () => {
      expect(Buffer.from(huffmanDecode(hex(h)) as Buffer).toString("latin1")).toBe(text);
      expect(oracleHuffmanDecode(hex(h))).toEqual([...Buffer.from(text, "latin1")]);
    });
    test(`encodes ${JSON.stringify(text)}`, () => {
      expect(encode(text).toString("hex")).toBe(hex(h).toString("hex"));
    });
  }
});

describe("every symbol", () => {
  test("each of the 256 byte values decodes alone, in every padding position", () => {
    for (let s = 0; s < 256; s++) {
      for (const prefix of [[], [0x30], [0x61, 0x62], [0x7e, 0x31, 0x32]]) {
        const syms = [...prefix, s];
        const bytes = oracleHuffmanEncode(syms);
        expect(kernel(bytes)).toEqual(syms);
        expect(encode(latin1(syms))).toEqual(Buffer.from(bytes));
      }
    }
  });

  test("all 256 byte values in one string, forwards and backwards", () => {
    const all = Array.from({ length: 256 }, (_, i) => i);
    for (const syms of [all, [...all].reverse()]) {
      const bytes = encode(latin1(syms));
      expect(kernel(bytes)).toEqual(syms);
      expect(oracleHuffmanDecode(bytes)).toEqual(syms);
    }
  });
});

describe("errors (RFC 7541 §5.2)", () => {
  test("EOS inside a string is refused", () => {
    expect(kernel(hex("4951ffffff fa7f"))).toBe("eos"); // h2spec hpack/5.2/3
    expect(kernel(hex("ffff fffc"))).toBe("eos"); // EOS alone: 30 ones, then 2 padding bits
    expect(kernel(hex("1fff ffff ff"))).toBe("eos"); // 'a' (00011), then EOS
  });

  test("padding longer than 7 bits is refused", () => {
    expect(kernel(hex("49509fff"))).toBe("padding"); // h2spec hpack/5.2/1
    expect(kernel(hex("ff"))).toBe("padding"); // 8 bits of padding, no symbol
    expect(kernel(Buffer.concat([encode("abc"), hex("ff")]))).toBe("padding");
  });

  test("padding that is not all ones is refused", () => {
    expect(kernel(hex("495090"))).toBe("padding"); // h2spec hpack/5.2/2: padded by zeros
    expect(kernel(hex("00"))).toBe("padding"); // '0' then 3 zero bits
    expect(kernel(hex("fe"))).toBe("padding"); // an unfinished code
  });

  test("the empty string decodes to nothing", () => {
    expect(kernel(new Uint8Array(0))).toEqual([]);
  });

  test("output that does not fit where it was asked to go is refused", () => {
    const src = encode("www.example.com");
    const dst = Buffer.alloc(20);
    expect(huffmanDecodeInto(src, 0, src.length, dst, 6)).toBe(HUFFMAN_ERR_SPACE);
    expect(huffmanDecodeInto(src, 0, src.length, dst, 5)).toBe(15);
    expect(dst.toString("latin1", 5, 20)).toBe("www.example.com");
  });
});

describe("differential: kernel against the oracle", () => {
  test("agrees on 20,000 random byte strings (mostly invalid)", () => {
    const rnd = mulberry32(7541);
    for (let i = 0; i < 20_000; i++) {
      const len = Math.floor(rnd() * 24);
      const bytes = new Uint8Array(len);
      // bias towards 0xff so long codes, EOS and all-ones padding are common
      for (let j = 0; j < len; j++) bytes[j] = rnd() < 0.5 ? 0xff : Math.floor(rnd() * 256);
      expect(kernel(bytes)).toEqual(oracleHuffmanDecode(bytes));
    }
  });

  test("agrees on 5,000 random valid strings, and the encoder round-trips them", () => {
    const rnd = mulberry32(42);
    for (let i = 0; i < 5_000; i++) {
      const syms = Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      const bytes = encode(latin1(syms));
      expect(kernel(bytes)).toEqual(syms);
      expect(oracleHuffmanDecode(bytes)).toEqual(syms);
    }
  });

  test("decodes strings longer than the first reserved region (it grows)", () => {
    const text = "x".repeat(20_000) + "/abc?def=1";
    const bytes = encode(text);
    expect(Buffer.from(huffmanDecode(bytes) as Buffer).toString("latin1")).toBe(text);
    const short = encode("after");
    expect(Buffer.from(huffmanDecode(short) as Buffer).toString("latin1")).toBe("after");
  });
});
