/**
 * An HTTP/2 request's HTTP/1.1 head for the backend, assembled in one pass in a shared arena
 * (h2-upstream-head.ts): every shape the piecewise writer handles comes out the same, and bytes a
 * sink still keeps are never overwritten when the arena fills.
 */
import { expect, test } from "bun:test";
import { FIELD_STRIDE, H, type ByteSink } from "../../src/http/index.ts";
import { HeaderList } from "../../src/h2/index.ts";
import { emitUpstreamHead } from "../../src/l7/forwarded.ts";
import { requestHeadOf } from "../../src/l7/h2-heads.ts";
import type { ProxyCtx } from "../../src/l7/hooks.ts";
import { RangeQueue } from "../../src/l7/range-queue.ts";
import { queuedText as text } from "./helpers/queued-text.ts";

const IDENTITY = "x-forwarded-for: 10.0.0.9\r\nx-forwarded-proto: http\r\nforwarded: for=10.0.0.9;proto=http\r\n";

/** A request list as the codec leaves it: names lower-case, ids from H. */
function list(authority: string | null, fields: [string, string, number][], path = "/p?q=1"): HeaderList {
  const buf = Buffer.alloc(16384), f = new Int32Array(Math.max(1, fields.length) * FIELD_STRIDE);
  let at = 0, seen = 0;
  const l = new HeaderList(buf, f, fields.length);
  if (authority !== null) {
    l.authorityStart = at;
    at += buf.write(authority, at, "latin1");
    l.authorityEnd = at;
    l.authority = authority;
  }
  fields.forEach(([n, v, id], i) => {
    const o = i * FIELD_STRIDE;
    f[o] = at;
    at += buf.write(n, at, "latin1");
    f[o + 1] = f[o + 2] = at;
    at += buf.write(v, at, "latin1");
    f[o + 3] = at;
    f[o + 4] = id;
    seen |= 1 << id;
    if (id === H.CONTENT_LENGTH) l.contentLength = Number(v);
  });
  l.seen = seen;
  l.method = "GET";
  l.scheme = "http";
  l.path = path;
  return l;
}

function ctxOf(l: HeaderList, endStream: boolean, over: Partial<ProxyCtx<unknown>> = {}): ProxyCtx<unknown> {
  return {
    req: requestHeadOf(l, endStream), dropRequestFields: null, upstreamHost: null, trustForwarded: false,
    upstreamTarget: null, clientAddress: "10.0.0.9", addRequestFields: "", ...over,
  } as unknown as ProxyCtx<unknown>;
}


const ID = { idMs: 0x0123456789a, idSeq: 0x123, idHi: 0xabcdef01, idLo: 0x23456789 };

test("an HTTP/2 request's head: request line, kept fields, one joined Cookie line, our fields, Host from :authority", () => {
  const l = list("example.com:8080", [
    ["accept", "*/*", H.OTHER], ["cookie", "a=1", H.COOKIE], ["te", "trailers", H.TE], ["cookie", "b=2", H.COOKIE],
    ["x-forwarded-for", "6.6.6.6", H.X_FORWARDED_FOR], ["user-agent", "ua/1", H.OTHER],
  ]);
  const q = new RangeQueue();
  emitUpstreamHead(ctxOf(l, true), IDENTITY, "127.0.0.1:9000", ID, Buffer.alloc(36), null, q);
  expect(q.length).toBe(1); // one range: the arena's
  expect(text(q)).toBe(
    "GET /p?q=1 HTTP/1.1\r\naccept: */*\r\ncookie: a=1; b=2\r\nuser-agent: ua/1\r\n" + IDENTITY +
    "x-forwarded-host: example.com:8080\r\nx-request-id: 00123456-789a-7123-abcd-ef0123456789\r\nhost: example.com:8080\r\n\r\n",
  );
});

test("hooks' target, Host, dropped and added fields, and a body of no declared length (chunked upstream)", () => {
  const l = list(null, [["host", "h.example", H.HOST], ["x-secret", "s", H.OTHER], ["accept", "*/*", H.OTHER]]);
  const q = new RangeQueue();
  const ctx = ctxOf(l, false, { upstreamTarget: "/rewritten", upstreamHost: "backend.internal", dropRequestFields: ["X-Secret"], addRequestFields: "x-env: prod\r\n" });
  emitUpstreamHead(ctx, IDENTITY, "127.0.0.1:9000", null, Buffer.alloc(36), null, q);
  expect(text(q)).toBe(
    "GET /rewritten HTTP/1.1\r\naccept: */*\r\n" + IDENTITY +
    "x-forwarded-host: h.example\r\nx-env: prod\r\ntransfer-encoding: chunked\r\nhost: backend.internal\r\n\r\n",
  );
});

test("without :authority or Host the backend's address is the Host; a declared length stays as received", () => {
  const l = list(null, [["content-length", "5", H.CONTENT_LENGTH]]);
  const q = new RangeQueue();
  emitUpstreamHead(ctxOf(l, false), IDENTITY, "127.0.0.1:9000", null, Buffer.alloc(36), null, q);
  expect(text(q)).toBe("GET /p?q=1 HTTP/1.1\r\ncontent-length: 5\r\n" + IDENTITY + "host: 127.0.0.1:9000\r\n\r\n");
});

test("a head too long for the arena goes piece by piece, the same bytes", () => {
  const long = "v".repeat(5000);
  const l = list("a.example", [["x-long", long, H.OTHER]]);
  const q = new RangeQueue();
  emitUpstreamHead(ctxOf(l, true), IDENTITY, "127.0.0.1:9000", null, Buffer.alloc(36), null, q);
  expect(q.length).toBeGreaterThan(1);
  expect(text(q)).toBe(`GET /p?q=1 HTTP/1.1\r\nx-long: ${long}\r\n${IDENTITY}x-forwarded-host: a.example\r\nhost: a.example\r\n\r\n`);
});

test("heads held corked until their packet is done, arena after arena, reuse the same arenas: nothing allocated per request", () => {
  // 64 backend connections, a packet's 10 requests on the next 10 of them (as h2load -m 10 does)
  const conns = Array.from({ length: 64 }, () => new RangeQueue()), seen = new Set<Buffer>();
  for (let packet = 0; packet < 200; packet++) { // ~2 MB of heads: each arena fills dozens of times
    const sinks = Array.from({ length: 10 }, (_, k) => conns[(packet * 10 + k) % 64]!);
    for (const q of sinks) {
      emitUpstreamHead(ctxOf(list("p.example", [["x-pad", "z".repeat(900), H.OTHER]]), true), IDENTITY, "a:1", null, Buffer.alloc(36), null, q);
      if (packet >= 100) seen.add(q.bufs[q.length - 1] as Buffer); // once heads that other tests left queued are behind
    }
    for (const q of sinks) {
      expect(text(q)).toContain("z".repeat(900) + "\r\n" + IDENTITY);
      q.clear(); // the packet's output left
    }
  }
  expect(seen.size).toBeLessThanOrEqual(4); // the ring
});

test("bytes a sink keeps survive the arena filling up; a sink that keeps nothing lets it start over", () => {
  const l = list("keep.example", [["x-pad", "p".repeat(2000), H.OTHER]]);
  const held = new RangeQueue();
  emitUpstreamHead(ctxOf(l, true), IDENTITY, "127.0.0.1:9000", null, Buffer.alloc(36), null, held);
  const want = text(held);
  const arena = held.bufs[0] as Buffer, heldAt = held.starts[0]!;
  const other = new RangeQueue();
  for (let i = 0; i < 80; i++) { // > 64 KiB of heads: the arena fills more than once
    emitUpstreamHead(ctxOf(list("x.example", [["x-pad", String(i).repeat(1000), H.OTHER]]), true), IDENTITY, "a:1", null, Buffer.alloc(36), null, other);
    other.clear();
  }
  expect(text(held)).toBe(want);
  expect(held.bufs[0]).toBe(arena);
  expect(held.starts[0]).toBe(heldAt);
  // a sink that cannot say what it keeps is taken to keep it
  const opaque: ByteSink & { got: [Buffer, number, number][] } = {
    got: [], write(b, s = 0, e = b.length) { this.got.push([b, s, e]); return true; }, writeString: () => true,
  };
  held.clear();
  emitUpstreamHead(ctxOf(l, true), IDENTITY, "127.0.0.1:9000", null, Buffer.alloc(36), null, opaque);
  const [b, s, e] = opaque.got[0]!, copy = b.toString("latin1", s, e);
  for (let i = 0; i < 80; i++) emitUpstreamHead(ctxOf(list("y.example", [["x-pad", "q".repeat(1000), H.OTHER]]), true), IDENTITY, "a:1", null, Buffer.alloc(36), null, other), other.clear();
  expect(b.toString("latin1", s, e)).toBe(copy);
});
