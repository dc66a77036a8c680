/**
 * The compression engine's parts in isolation: Accept-Encoding negotiation over parsed request
 * heads, the decision and head edits on parsed response heads, and the streaming encoder (pieces
 * of any size, output that decodes to the input, engines reused only where reuse keeps the level).
 */
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import zlib from "node:zlib";
import { DEFAULT_LIMITS, type ResponseHead } from "../../../src/http/index.ts";
import { parseRequestHead } from "../../../src/http/request-head.ts";
import { parseResponseHead } from "../../../src/http/response-head.ts";
import { BodyEncoder, negotiate, startEncoding, type Coding, type CompressPolicy } from "../../../src/l7/compress/index.ts";

const scratch = () => new Int32Array(DEFAULT_LIMITS.maxHeaderCount * 5);
function request(fields: string[], method = "GET", version = "1.1") {
  const buf = Buffer.from(`${method} / HTTP/${version}\r\nhost: x\r\n${fields.map((f) => `${f}\r\n`).join("")}\r\n`, "latin1");
  return parseRequestHead(buf, 0, buf.length, scratch(), DEFAULT_LIMITS);
}
function response(fields: string[], status = 200): ResponseHead {
  const buf = Buffer.from(`HTTP/1.1 ${status} X\r\n${fields.map((f) => `${f}\r\n`).join("")}\r\n`, "latin1");
  return parseResponseHead(buf, 0, buf.length, scratch(), DEFAULT_LIMITS, false, false);
}
const policy: CompressPolicy = {
  algorithms: ["br", "zstd", "gzip"], minBytes: 100, types: ["text/html"], typePrefixes: ["text/"], anyType: false,
  levels: { gzip: 6, br: 4, zstd: 3 },
};
const ae = (...lines: string[]) => negotiate(request(lines.map((l) => `accept-encoding: ${l}`)), policy.algorithms);

describe("negotiate", () => {
  test("q-values, q=0, *, ties in the policy's order, several lines as one list, bad q refusing", () => {
    expect(ae()).toBeNull();
    expect(ae("gzip")).toBe("gzip");
    expect(ae("gzip, zstd")).toBe("zstd");
    expect(ae(" gzip ; q=0.800 , br;Q=0.799")).toBe("gzip");
    expect(ae("gzip;q=1.000, br;q=1")).toBe("br");
    expect(ae("br;q=0", "gzip;q=0.1")).toBe("gzip");
    expect(ae("*;q=0")).toBeNull();
    expect(ae("*, br;q=0, zstd;q=0.0")).toBe("gzip");
    expect(ae("gzip;q=1.5")).toBeNull();
    expect(ae("gzip;q=0.5;level=1")).toBe("gzip");
    expect(ae("identity;q=1, *;q=0")).toBeNull();
    expect(negotiate(request(["accept-encoding: br, gzip"]), ["gzip", "br"])).toBe("gzip");
  });
});

describe("startEncoding", () => {
  const start = (fields: string[], res: ResponseHead, p = policy) => {
    const ctx = { req: request(fields), addResponseFields: "" };
    const enc = startEncoding(ctx, res, p);
    enc?.release();
    return { coding: enc?.coding ?? null, lines: ctx.addResponseFields };
  };
  const page = (extra: string[] = []) => response(["content-type: text/html; charset=UTF-8", "content-length: 500", ...extra]);

  test("a compressed head: coding, Vary, weak ETag; Content-Length and Accept-Ranges marked dropped", () => {
    const res = page(['ETag: "a"', "accept-ranges: bytes"]);
    const r = start(["accept-encoding: gzip"], res);
    expect(r).toEqual({ coding: "gzip", lines: 'vary: Accept-Encoding\r\ncontent-encoding: gzip\r\netag: W/"a"\r\n' });
    expect(res.lengthRewrite).toBe(false);
    expect([0, 1, 2, 3].map((i) => res.fields[i * 5 + 4] === 30)).toEqual([false, true, true, true]);
  });

  test("eligible but not accepted: Vary only (unless the backend's Vary covers it)", () => {
    expect(start([], page())).toEqual({ coding: null, lines: "vary: Accept-Encoding\r\n" });
    expect(start([], page(["vary: accept-encoding, origin"]))).toEqual({ coding: null, lines: "" });
    expect(start(["accept-encoding: br"], page(["vary: *"]))).toEqual({ coding: "br", lines: "content-encoding: br\r\n" });
  });

  test("left alone: encoded, ranges, no-transform, unlisted and gRPC types, short, bodiless, HTTP/1.0", () => {
    const gz = ["accept-encoding: gzip"];
    const none = { coding: null, lines: "" };
    expect(start(gz, page(["content-encoding: identity"]))).toEqual(none);
    expect(start(gz, page(["content-range: bytes 0-499/900"]), )).toEqual(none);
    expect(start([...gz, "range: bytes=0-"], page())).toEqual(none);
    expect(start(gz, response(["content-type: text/html", "content-length: 500"], 206))).toEqual(none);
    expect(start(gz, page(["cache-control: max-age=3, No-Transform"]))).toEqual(none);
    expect(start([...gz, "cache-control: no-transform"], page())).toEqual(none);
    expect(start(gz, response(["content-type: image/png", "content-length: 500"]))).toEqual(none);
    expect(start(gz, response(["content-type: application/grpc", "content-length: 500"]), { ...policy, anyType: true })).toEqual(none);
    expect(start(gz, response(["content-length: 500"]))).toEqual(none);
    expect(start(gz, response(["content-length: 500"]), { ...policy, anyType: true }).coding).toBe("gzip");
    expect(start(gz, response(["content-type: text/html", "content-length: 99"]))).toEqual(none);
    expect(start(gz, response(["content-type: text/css", "transfer-encoding: chunked"])).coding).toBe("gzip");
    expect(start(gz, response(["content-type: text/html", "content-length: 500"], 204))).toEqual(none);
    expect(start(gz, response(["content-type: text/html"], 304))).toEqual(none);
    const ctx = { req: request(gz, "GET", "1.0"), addResponseFields: "" };
    expect(startEncoding(ctx, page(), policy)).toBeNull();
  });
});

const decode: Record<Coding, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gunzipSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
  zstd: (b) => zlib.zstdDecompressSync(b),
};

/** Runs `input` through a new encoder in `pieces` and returns what it wrote. */
function encode(coding: Coding, level: number, input: Buffer, piece: number): Buffer {
  const out: Buffer[] = [];
  const sink = { writeBody: (b: Buffer, s: number, e: number) => (out.push(Buffer.from(b.subarray(s, e))), true) };
  const enc = new BodyEncoder(coding, level);
  for (let i = 0; i < input.length; i += piece) enc.write(input, i, Math.min(input.length, i + piece), sink);
  enc.finish(sink);
  expect([enc.bytesIn, enc.bytesOut]).toEqual([input.length, out.reduce((n, b) => n + b.length, 0)]);
  return Buffer.concat(out);
}

describe("BodyEncoder", () => {
  const text = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}: ${(i * 7919) % 10007}\n`).join(""));
  const noise = randomBytes(200_000);

  test("any piece size, compressible or not, decodes to the input in each coding", () => {
    for (const coding of ["gzip", "br", "zstd"] as const) {
      for (const [input, piece] of [[text, 1], [text, 7000], [noise, 65536], [noise, 200_000]] as const) {
        if (piece === 1 && input.length > 100_000) continue;
        const got = encode(coding, 1, piece === 1 ? input.subarray(0, 3000) : input, piece);
        expect(decode[coding](got).equals(piece === 1 ? input.subarray(0, 3000) : input)).toBe(true);
      }
    }
  });

  test("each piece is flushed: what was written so far decodes before the stream ends", () => {
    const out: Buffer[] = [];
    const enc = new BodyEncoder("gzip", 6);
    enc.write(text, 0, 1000, { writeBody: (b, s, e) => (out.push(Buffer.from(b.subarray(s, e))), true) });
    const partial = zlib.gunzipSync(Buffer.concat(out), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(partial.equals(text.subarray(0, 1000))).toBe(true);
    enc.release();
  });

  test("a later encoder (on a reused engine where reuse is safe) compresses at the same level as the first", () => {
    for (const coding of ["gzip", "br", "zstd"] as const) {
      const first = encode(coding, 2, text, 4096);
      const again = encode(coding, 2, text, 4096);
      expect(decode[coding](again).equals(text)).toBe(true);
      // a reset brotli handle in Bun falls back to quality 11: a third of the size, 40× the time
      expect({ coding, ratio: Math.round((again.length / first.length) * 100) / 100 }).toEqual({ coding, ratio: 1 });
    }
    expect(encode("gzip", 1, text, 4096).length).toBeGreaterThan(encode("gzip", 9, text, 4096).length);
  });
});
