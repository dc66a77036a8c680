/**
 * An HTTP/1.1 request's head for the backend, assembled in one pass in a shared arena
 * (h1-upstream-head.ts): every shape comes out byte for byte as the piecewise writer writes it, as
 * one range, and bytes a sink still keeps are never overwritten when the arena fills.
 */
import { expect, test } from "bun:test";
import { RequestParser, type ByteSink, type RequestHead } from "../../src/http/index.ts";
import { emitUpstreamHead, emitUpstreamHeadPieces } from "../../src/l7/forwarded.ts";
import type { ProxyCtx } from "../../src/l7/hooks.ts";
import { RangeQueue } from "../../src/l7/range-queue.ts";
import { queuedText as text } from "./helpers/queued-text.ts";
import { run } from "../http/feed.ts";

const IDENTITY = "x-forwarded-for: 10.0.0.9\r\nx-forwarded-proto: http\r\nforwarded: for=10.0.0.9;proto=http\r\n";
const ID = { idMs: 0x0123456789a, idSeq: 0x123, idHi: 0xabcdef01, idLo: 0x23456789 };

const parse = (s: string) => run<RequestHead>((h) => new RequestParser(h), s, "whole").messages[0]!.head;

function ctxOf(raw: string, over: Partial<ProxyCtx<unknown>> = {}): ProxyCtx<unknown> {
  return {
    req: parse(raw), dropRequestFields: null, upstreamHost: null, trustForwarded: false,
    upstreamTarget: null, clientAddress: "10.0.0.9", addRequestFields: "", ...over,
  } as unknown as ProxyCtx<unknown>;
}


type Shape = [name: string, raw: string, over: Partial<ProxyCtx<unknown>>, id: typeof ID | null];

const SHAPES: Shape[] = [
  ["wrk's: line as received, Host", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", {}, ID],
  ["no generated id", "GET /a?b=c HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n", {}, null],
  ["hop-by-hop, X-Forwarded-* and Connection-named fields dropped, in runs",
    "GET /p HTTP/1.1\r\nConnection: keep-alive, X-Secret\r\nHost: x\r\nX-Secret: s\r\nKeep-Alive: 5\r\nA: 1\r\nTE: trailers\r\n" +
    "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\nForwarded: for=1\r\nSet-Thing: 1\r\nSet-Thing: 2\r\nProxy-Connection: x\r\n\r\n", {}, ID],
  ["the last field dropped", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n", {}, ID],
  ["every field dropped but Host, Host first dropped by the hooks' Host",
    "GET / HTTP/1.1\r\nHost: h\r\nTE: x\r\n\r\n", { upstreamHost: "backend.internal" }, ID],
  ["hooks' target, dropped and added fields", "POST /old HTTP/1.1\r\nHost: h.example\r\nX-Secret: s\r\nContent-Length: 3\r\n\r\nabc",
    { upstreamTarget: "/rewritten?x=1", dropRequestFields: ["x-secret"], addRequestFields: "x-env: prod\r\nx-two: 2\r\n" }, ID],
  ["chunked body", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {}, ID],
  ["Content-Length lines re-sent as one", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", {}, null],
  ["HTTP/1.0: the line rewritten to 1.1, no Host: the backend's address", "GET /old HTTP/1.0\r\nAccept: */*\r\n\r\n", {}, ID],
  ["HTTP/1.0 absolute-form: Host from the target's authority", "GET http://abs.example:81/x HTTP/1.0\r\n\r\n", {}, ID],
  ["absolute-form 1.1 target kept", "GET http://abs.example/x HTTP/1.1\r\nHost: abs.example\r\n\r\n", {}, null],
  ["long fields copied natively", `GET /${"p".repeat(300)} HTTP/1.1\r\nHost: h\r\nCookie: ${"c".repeat(700)}\r\nX-A: 1\r\n\r\n`, {}, ID],
  ["HTTP/1.0 with hooks' Host and target", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", { upstreamHost: "b", upstreamTarget: "/t" }, ID],
];

for (const [name, raw, over, id] of SHAPES) {
  test(`one pass, same bytes as piece by piece: ${name}`, () => {
    const one = new RangeQueue(), pieces = new RangeQueue();
    emitUpstreamHead(ctxOf(raw, over), IDENTITY, "127.0.0.1:9000", id, Buffer.alloc(36), null, one);
    emitUpstreamHeadPieces(ctxOf(raw, over), IDENTITY, "127.0.0.1:9000", id, Buffer.alloc(36), null, pieces);
    expect(one.length).toBe(1); // one range: the arena's
    expect(text(one)).toBe(text(pieces));
  });
}

test("wrk's request, spelled out", () => {
  const q = new RangeQueue();
  emitUpstreamHead(ctxOf("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"), IDENTITY, "127.0.0.1:9000", ID, Buffer.alloc(36), null, q);
  expect(text(q)).toBe(
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" + IDENTITY +
    "x-forwarded-host: 127.0.0.1:8080\r\nx-request-id: 00123456-789a-7123-abcd-ef0123456789\r\n\r\n",
  );
});

test("a trusted client, an upgrade offer or a head too long for the arena go piece by piece, the same bytes", () => {
  const long = `GET / HTTP/1.1\r\nHost: h\r\nX-Long: ${"v".repeat(5000)}\r\n\r\n`;
  const cases: [string, Partial<ProxyCtx<unknown>>, string | null][] = [
    ["GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", { trustForwarded: true }, null],
    ["GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: k\r\n\r\n", {}, "websocket"],
    [long, {}, null],
  ];
  for (const [raw, over, upgrade] of cases) {
    const one = new RangeQueue(), pieces = new RangeQueue();
    emitUpstreamHead(ctxOf(raw, over), IDENTITY, "a:1", ID, Buffer.alloc(36), upgrade, one);
    emitUpstreamHeadPieces(ctxOf(raw, over), IDENTITY, "a:1", ID, Buffer.alloc(36), upgrade, pieces);
    expect(one.length).toBeGreaterThan(1);
    expect(text(one)).toBe(text(pieces));
  }
});

test("bytes a sink keeps survive the arena filling up; heads of sinks that keep nothing reuse the ring's arenas", () => {
  const held = new RangeQueue();
  emitUpstreamHead(ctxOf(`GET / HTTP/1.1\r\nHost: keep\r\nX-Pad: ${"p".repeat(2000)}\r\n\r\n`), IDENTITY, "a:1", ID, Buffer.alloc(36), null, held);
  const want = text(held), arena = held.bufs[0] as Buffer, heldAt = held.starts[0]!;
  const other = new RangeQueue(), seen = new Set<Buffer>();
  for (let i = 0; i < 400; i++) { // ~400 KB of heads: each arena fills several times
    emitUpstreamHead(ctxOf(`GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${String(i % 10).repeat(1000)}\r\n\r\n`), IDENTITY, "a:1", null, Buffer.alloc(36), null, other);
    expect(text(other)).toContain(String(i % 10).repeat(1000) + "\r\n" + IDENTITY);
    if (i >= 200) seen.add(other.bufs[0] as Buffer);
    other.clear();
  }
  expect(text(held)).toBe(want);
  expect(held.bufs[0]).toBe(arena);
  expect(held.starts[0]).toBe(heldAt);
  expect(seen.size).toBeLessThanOrEqual(4); // the ring: nothing allocated per request
  // a sink that cannot say what it keeps is taken to keep it
  const opaque: ByteSink & { got: [Buffer, number, number][] } = {
    got: [], write(b, s = 0, e = b.length) { this.got.push([b, s, e]); return true; }, writeString: () => true,
  };
  emitUpstreamHead(ctxOf("GET /o HTTP/1.1\r\nHost: o\r\n\r\n"), IDENTITY, "a:1", ID, Buffer.alloc(36), null, opaque);
  const [b, s, e] = opaque.got[0]!, copy = b.toString("latin1", s, e);
  for (let i = 0; i < 200; i++) emitUpstreamHead(ctxOf(`GET / HTTP/1.1\r\nHost: y\r\nX-Pad: ${"q".repeat(1000)}\r\n\r\n`), IDENTITY, "a:1", null, Buffer.alloc(36), null, other), other.clear();
  expect(b.toString("latin1", s, e)).toBe(copy);
});

test("once every sink handed a range has sent it, the next head starts over at the arena's start (its cached bytes)", () => {
  const a = new RangeQueue(), b = new RangeQueue();
  const raw = "GET / HTTP/1.1\r\nHost: again\r\n\r\n";
  emitUpstreamHead(ctxOf(raw), IDENTITY, "a:1", ID, Buffer.alloc(36), null, a);
  const arena = a.bufs[0] as Buffer, want = text(a);
  a.clear(); // sent
  emitUpstreamHead(ctxOf(raw), IDENTITY, "a:1", ID, Buffer.alloc(36), null, b);
  expect(b.bufs[0]).toBe(arena);
  expect(b.starts[0]).toBe(0);
  expect(text(b)).toBe(want);
  // b still keeps its head: the next one goes after it, and b's bytes stay
  emitUpstreamHead(ctxOf("GET /other HTTP/1.1\r\nHost: x\r\n\r\n"), IDENTITY, "a:1", null, Buffer.alloc(36), null, a);
  expect(a.starts[0]).toBe(b.ends[0]!);
  expect(text(b)).toBe(want);
});
