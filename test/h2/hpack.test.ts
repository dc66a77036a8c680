import { describe, expect, test } from "bun:test";
import { HpackDecoder, HpackEncoder, type DecodedBlock } from "../../src/h2/hpack/index.ts";
import { H2Error } from "../../src/h2/h2-error.ts";
import { mulberry32 } from "../helpers/rng.ts";
import { C2, C3, C4, C5, C6, RESPONSE_TABLE_SIZE, hex, type Block, type Fields } from "./rfc7541-vectors.ts";

function fieldsOf(b: DecodedBlock): Fields {
  return Array.from({ length: b.count }, (_, i) => [b.name(i), b.value(i)] as [string, string]);
}

/** The decoder's dynamic table, newest first. */
function tableOf(d: HpackDecoder): Fields {
  const out: Fields = [];
  for (let i = 1; i <= d.table.count; i++) {
    const nl = d.table.nameLength(i), vl = d.table.valueLength(i), b = Buffer.alloc(nl + vl);
    d.table.copy(i, true, b, 0);
    out.push([b.toString("latin1", 0, nl), b.toString("latin1", nl)]);
  }
  return out;
}

function decodeHex(d: HpackDecoder, h: string): DecodedBlock {
  const b = hex(h);
  return d.decode(b, 0, b.length);
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof H2Error) return `${e.code}:${e.reason}`;
    throw e;
  }
  return "no error";
}

function runSequence(blocks: Block[], capacity: number): void {
  const d = new HpackDecoder(capacity, 65536);
  for (const block of blocks) {
    expect(fieldsOf(decodeHex(d, block.hex))).toEqual(block.fields);
    expect(tableOf(d)).toEqual(block.table);
    expect(d.table.size).toBe(block.size);
  }
}

describe("RFC 7541 Appendix C decoding", () => {
  test("C.2 field representations", () => {
    for (const block of C2) runSequence([block], 4096);
  });
  test("C.3 requests without Huffman coding", () => runSequence(C3, 4096));
  test("C.4 requests with Huffman coding", () => runSequence(C4, 4096));
  test("C.5 responses without Huffman coding, with evictions", () => runSequence(C5, RESPONSE_TABLE_SIZE));
  test("C.6 responses with Huffman coding, with evictions", () => runSequence(C6, RESPONSE_TABLE_SIZE));
});

describe("encoder", () => {
  test("reproduces the C.4 request blocks byte for byte", () => {
    const e = new HpackEncoder();
    for (const block of C4) {
      e.begin();
      for (const [n, v] of block.fields) e.field(n, v);
      expect(e.buf.toString("hex", 0, e.finish())).toBe(hex(block.hex).toString("hex"));
    }
  });

  test("never indexes credentials and short cookies, and marks them so", () => {
    const e = new HpackEncoder(), d = new HpackDecoder(4096, 65536);
    e.begin();
    e.field("authorization", "Bearer abc");
    e.field("cookie", "a=1");
    e.field("x-secret", "v", true);
    const b = d.decode(e.buf, 0, e.finish());
    expect(fieldsOf(b)).toEqual([["authorization", "Bearer abc"], ["cookie", "a=1"], ["x-secret", "v"]]);
    expect([...b.sensitive.subarray(0, 3)]).toEqual([1, 1, 1]);
    expect(d.table.count).toBe(0);
  });

  test("announces a smaller table when the peer lowers SETTINGS_HEADER_TABLE_SIZE", () => {
    const e = new HpackEncoder(), d = new HpackDecoder(4096, 65536);
    const roundTrip = (fields: Fields) => {
      e.begin();
      for (const [n, v] of fields) e.field(n, v);
      return fieldsOf(d.decode(e.buf, 0, e.finish()));
    };
    roundTrip([["x-a", "1".repeat(100)], ["x-b", "2".repeat(100)]]);
    expect(d.table.count).toBe(2);
    e.setPeerTableSize(150);
    e.setPeerTableSize(1000);
    expect(roundTrip([["x-b", "2".repeat(100)]])).toEqual([["x-b", "2".repeat(100)]]);
    // the update to 150 evicted x-a; the later 1000 raised the limit again; x-b went as an index
    expect(d.table.maxSize).toBe(1000);
    expect(d.table.count).toBe(1);
  });

  test("round-trips 2,000 random header lists through one encoder and one decoder", () => {
    const rnd = mulberry32(9113);
    const names = ["content-type", "x-a", "x-b", "cookie", "set-cookie", "date", "server", ":status", "x-long", "authorization"];
    const values = ["", "1", "text/html", "a".repeat(40), "é\u00ff\u0001", "v".repeat(3000)];
    const e = new HpackEncoder(4096), d = new HpackDecoder(4096, 1 << 20);
    for (let i = 0; i < 2000; i++) {
      if (rnd() < 0.02) e.setPeerTableSize(Math.floor(rnd() * 4097));
      const fields: Fields = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => [
        names[Math.floor(rnd() * names.length)]!,
        values[Math.floor(rnd() * values.length)]! + (rnd() < 0.3 ? String(Math.floor(rnd() * 5)) : ""),
      ]);
      e.begin();
      for (const [n, v] of fields) e.field(n, v);
      expect(fieldsOf(d.decode(e.buf, 0, e.finish()))).toEqual(fields);
    }
  });
});

describe("decoding errors are COMPRESSION_ERROR (9)", () => {
  const d = () => new HpackDecoder(4096, 65536);
  test("index 0", () => expect(errorOf(() => decodeHex(d(), "80"))).toBe("9:INDEX_ZERO"));
  test("index past the tables", () => expect(errorOf(() => decodeHex(d(), "c6"))).toBe("9:INDEX_OUT_OF_RANGE"));
  test("literal with an index past the tables", () => expect(errorOf(() => decodeHex(d(), "7f0700"))).toBe("9:INDEX_OUT_OF_RANGE"));
  test("a size update above SETTINGS_HEADER_TABLE_SIZE", () => {
    expect(errorOf(() => decodeHex(d(), "3fe21f 82"))).toBe("9:TABLE_SIZE_ABOVE_SETTING");
  });
  test("a size update after a field", () => expect(errorOf(() => decodeHex(d(), "82 21"))).toBe("9:LATE_TABLE_SIZE_UPDATE"));
  test("several size updates at the start are fine", () => {
    expect(fieldsOf(decodeHex(d(), "3f61 3fe11f 82"))).toEqual([[":method", "GET"]]);
  });
  test("a literal with no string", () => expect(errorOf(() => decodeHex(d(), "40"))).toBe("9:TRUNCATED_STRING"));
  test("a string longer than the block", () => expect(errorOf(() => decodeHex(d(), "4003 6162"))).toBe("9:TRUNCATED_STRING"));
  test("an integer that never ends", () => expect(errorOf(() => decodeHex(d(), "ff ff ff"))).toBe("9:BAD_INTEGER"));
  test("an integer with too many continuation bytes", () => expect(errorOf(() => decodeHex(d(), "ff ff ff ff ff 01"))).toBe("9:BAD_INTEGER"));
  test("Huffman string with EOS", () => expect(errorOf(() => decodeHex(d(), "00 85 f2b24a84ff 87 4951ffffff fa7f"))).toBe("9:HUFFMAN_EOS"));
  test("Huffman string with bad padding", () => expect(errorOf(() => decodeHex(d(), "00 85 f2b24a84ff 83 495090"))).toBe("9:HUFFMAN_PADDING"));
});

describe("header list size (RFC 9113 §6.5.2)", () => {
  test("a small block expanding past the limit is decoded to the end but its excess is not kept", () => {
    const e = new HpackEncoder(), d = new HpackDecoder(4096, 16 * 1024);
    e.begin();
    e.field("x-big", "b".repeat(2000));
    for (let i = 0; i < 100; i++) e.field("x-big", "b".repeat(2000)); // each one byte: indexed
    const len = e.finish();
    expect(len).toBeLessThan(1700);
    const b = d.decode(e.buf, 0, len);
    expect(b.oversized).toBe(true);
    expect(b.listSize).toBe(101 * (5 + 2000 + 32));
    expect(b.count).toBe(8); // 8 × 2037 ≤ 16 KiB < 9 × 2037
    // the table stayed in step: the next block decodes against it
    e.begin();
    e.field("x-big", "b".repeat(2000));
    e.field("x-next", "1");
    expect(fieldsOf(d.decode(e.buf, 0, e.finish()))).toEqual([["x-big", "b".repeat(2000)], ["x-next", "1"]]);
  });
});
