/**
 * A backend's head encoded from its bytes (encodeFields with a ForwardFields: interned names,
 * values compared and written as bytes) must give exactly the block the string path gives, block
 * after block, through insertions, evictions and the never-indexed and static-value rules.
 */
import { describe, expect, test } from "bun:test";
import { encodeFields } from "../../src/h2/encode-fields.ts";
import { ForwardMemo } from "../../src/h2/forward-memo.ts";
import { HpackDecoder, HpackEncoder } from "../../src/h2/hpack/index.ts";
import { internName, internValue } from "../../src/h2/hpack/intern.ts";
import { DEFAULT_LIMITS, HOP_BY_HOP, type ResponseHead } from "../../src/http/index.ts";
import { parseRequestHead } from "../../src/http/request-head.ts";
import { dropFieldAt } from "../../src/l7/field-drop.ts";
import { parseResponseHead } from "../../src/http/response-head.ts";
import { mulberry32 } from "../helpers/rng.ts";

const NAMES = [
  "Server", "Date", "Content-Type", "content-length", "ETag", "Last-Modified", "Accept-Ranges", "cookie", "Authorization",
  "accept-encoding", "X-Request-Id", "Set-Cookie", "Cache-Control", "Vary", "X-Custom-Thing", "x-custom-thing", "LOCATION",
];
const VALUES = ["nginx", "text/html", "gzip, deflate", "bytes", "", "a", "\"5f-abc\"", "x".repeat(300), "caf\xe9 \xff\x80", "~~~~{}{}", "session=0123456789abcdef0123"];

function response(lines: string[]): ResponseHead {
  const buf = Buffer.from(`HTTP/1.1 200 OK\r\n${lines.map((l) => `${l}\r\n`).join("")}\r\n`, "latin1");
  return parseResponseHead(buf, 0, buf.length, new Int32Array(DEFAULT_LIMITS.maxHeaderCount * 5), DEFAULT_LIMITS, false, false);
}

function block(enc: HpackEncoder, add: () => void): Buffer {
  enc.begin();
  add();
  return Buffer.from(enc.buf.subarray(0, enc.finish()));
}

const DROPPED = new Set(["connection", "keep-alive"]);

describe("HPACK from a head's bytes", () => {
  test("gives the string path's blocks, byte for byte, and decodes to the same fields", () => {
    const rnd = mulberry32(15);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const viaStrings = new HpackEncoder(512), viaBytes = new HpackEncoder(512), dec = new HpackDecoder(512, 1 << 16);
    let indexed = 0;
    for (let n = 0; n < 500; n++) {
      const pairs: [string, string][] = [];
      for (let k = Math.floor(rnd() * 9); k > 0; k--) {
        const name = rnd() < 0.1 ? `X-Rand-${Math.floor(rnd() * 1000)}` : rnd() < 0.05 ? pick(["Connection", "Keep-Alive"]) : pick(NAMES);
        pairs.push([name, name === "content-length" ? "128" : name === "Connection" ? "keep-alive" : rnd() < 0.2 ? String(rnd()) : pick(VALUES)]);
      }
      const head = response(pairs.map(([k, v]) => `${k}: ${v}`));
      const a = block(viaStrings, () => encodeFields(viaStrings, ["x-first", "1", ...pairs.flat(), "x-last", "2"]));
      const b = block(viaBytes, () => encodeFields(viaBytes, { before: ["x-first", "1"], head, drop: 0, after: ["x-last", "2"] }));
      expect(b.toString("hex")).toBe(a.toString("hex"));
      const d = dec.decode(b, 0, b.length);
      const got = Array.from({ length: d.count }, (_, i) => [d.name(i), d.value(i)]);
      const kept = pairs.map(([k, v]) => [k.toLowerCase(), v]).filter(([k]) => !DROPPED.has(k!));
      expect(got).toEqual([["x-first", "1"], ...kept, ["x-last", "2"]]);
      for (const x of b) if (x >= 0xbe) indexed++; // dynamic-table hits (index > 61) happen
    }
    expect(indexed).toBeGreaterThan(100);
  });

  test("leaves out the fields whose id is in the drop mask", () => {
    const head = response(["Content-Length: 5", "Server: x"]);
    const enc = new HpackEncoder(), dec = new HpackDecoder(4096, 1 << 16);
    const b = block(enc, () => encodeFields(enc, { before: [], head, drop: 1 << 1, after: [] }));
    const d = dec.decode(b, 0, b.length);
    expect(Array.from({ length: d.count }, (_, i) => [d.name(i), d.value(i)])).toEqual([["server", "x"]]);
  });

  test("a client's HTTP/1.1 request head for an HTTP/2 backend: hop-by-hop fields dropped, names lower-case, cookie kept", () => {
    const raw = Buffer.from("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: X-Hop, keep-alive\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nUser-Agent: UA/1\r\nCookie: a=b\r\nTE: trailers\r\n\r\n", "latin1");
    const req = parseRequestHead(raw, 0, raw.length, new Int32Array(DEFAULT_LIMITS.maxHeaderCount * 5), DEFAULT_LIMITS);
    const enc = new HpackEncoder(), dec = new HpackDecoder(4096, 1 << 16);
    const b = block(enc, () => encodeFields(enc, { before: [], head: req, drop: HOP_BY_HOP, after: ["x-forwarded-for", "127.0.0.1"] }));
    const d = dec.decode(b, 0, b.length);
    expect(Array.from({ length: d.count }, (_, i) => [d.name(i), d.value(i)])).toEqual([
      ["host", "a.test"], ["user-agent", "UA/1"], ["cookie", "a=b"], ["x-forwarded-for", "127.0.0.1"],
    ]);
  });

  test("interned names are lower-case, the same string each time, and right after a slot collision", () => {
    const buf = Buffer.from("Content-Type", "latin1");
    const first = internName(buf, 0, buf.length);
    expect(first.name).toBe("content-type");
    for (let i = 0; i < 2000; i++) {
      const other = Buffer.from(`X-N${i}`, "latin1");
      expect(internName(other, 0, other.length).name).toBe(`x-n${i}`);
    }
    const again = internName(buf, 0, buf.length);
    expect(again.name).toBe("content-type");
    expect(again.staticIndex).toBe(31);
    expect(internName(Buffer.from("xCONTENT-TYPEx"), 1, 13)).toBe(again);
  });

  test("interned values keep their case and bytes, the same string each time, long ones decoded", () => {
    const buf = Buffer.from("xExample.COM:8443x\xe9", "latin1");
    const first = internValue(buf, 1, 17);
    expect(first).toBe("Example.COM:8443");
    expect(internValue(Buffer.from("example.com:8443"), 0, 16)).toBe("example.com:8443");
    expect(internValue(buf, 1, 17)).toBe(first);
    expect(internValue(buf, 17, 19)).toBe("x\xe9");
    const long = Buffer.from("h".repeat(100));
    expect(internValue(long, 0, 100)).toBe("h".repeat(100));
  });
});

describe(":status", () => {
  test("every code gives the block the string path gives (one byte for those in the static table)", () => {
    const a = new HpackEncoder(), b = new HpackEncoder();
    for (let code = 100; code < 600; code++) {
      a.begin();
      a.status(code);
      const fast = Buffer.from(a.buf.subarray(0, a.finish()));
      b.begin();
      b.field(":status", String(code));
      expect([code, fast]).toEqual([code, Buffer.from(b.buf.subarray(0, b.finish()))]);
      if ([200, 204, 206, 304, 400, 404, 500].includes(code)) expect(fast.length).toBe(1);
    }
  });
});

describe("a repeated head (forward-memo.ts)", () => {
  const HEAD = ["Server: nginx", "Date: Thu, 03 Dec 2026 16:00:00 GMT", "Content-Type: text/plain", "Content-Length: 128", "ETag: \"5f-abc\"", "Connection: keep-alive", "Accept-Ranges: bytes"];

  test("encodes to the bytes the field-by-field path gives, through table changes, drops and added fields", () => {
    const rnd = mulberry32(7);
    const plain = new HpackEncoder(256), memoized = new HpackEncoder(256), memo = new ForwardMemo(), dec = new HpackDecoder(256, 1 << 16);
    let replayed = 0;
    for (let n = 0; n < 2000; n++) {
      const lines = HEAD.slice();
      if (rnd() < 0.05) lines[1] = `Date: Thu, 03 Dec 2026 16:00:0${Math.floor(rnd() * 3)} GMT`;
      if (rnd() < 0.05) lines[3] = `Content-Length: ${Math.floor(rnd() * 3)}`;
      if (rnd() < 0.02) lines.push(`X-Big: ${"v".repeat(Math.floor(rnd() * 120))}`);
      const head = response(lines);
      if (rnd() < 0.03) dropFieldAt(head, Math.floor(rnd() * head.count));
      const f = { before: rnd() < 0.05 ? ["x-b", String(n % 2)] : [], head, drop: rnd() < 0.05 ? 1 << 1 : 0, after: rnd() < 0.05 ? ["x-a", "1"] : [] };
      const a = block(plain, () => encodeFields(plain, f));
      const b = block(memoized, () => {
        if (memo.replay(memoized, f)) replayed++;
        else encodeFields(memoized, f, memo);
      });
      expect(b.toString("hex")).toBe(a.toString("hex"));
      dec.decode(b, 0, b.length); // the peer's table stays in step (a wrong index would throw later)
    }
    expect(replayed).toBeGreaterThan(400); // most heads that repeat the one before
  });

  test("is not replayed after the table changed, nor for other bytes, ids, drops or added fields", () => {
    const enc = new HpackEncoder(), memo = new ForwardMemo();
    const f = (lines: string[], drop = 0, after: string[] = []) => ({ before: [], head: response(lines), drop, after });
    for (let i = 0; i < 2; i++) block(enc, () => encodeFields(enc, f(HEAD), memo)); // the first inserts, the second is kept
    expect(block(enc, () => expect(memo.replay(enc, f(HEAD))).toBe(true)).length).toBeGreaterThan(0);
    const other = HEAD.slice();
    other[0] = "Server: nginy";
    block(enc, () => expect(memo.replay(enc, f(other))).toBe(false));
    block(enc, () => expect(memo.replay(enc, f(HEAD, 1 << 1))).toBe(false));
    block(enc, () => expect(memo.replay(enc, f(HEAD, 0, ["x-a", "1"]))).toBe(false));
    const marked = f(HEAD);
    dropFieldAt(marked.head, 0);
    block(enc, () => expect(memo.replay(enc, marked)).toBe(false));
    block(enc, () => encodeFields(enc, ["x-new", "inserted"]));
    block(enc, () => expect(memo.replay(enc, f(HEAD))).toBe(false));
  });
});
