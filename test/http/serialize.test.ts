import { describe, expect, test } from "bun:test";
import { H, HOP_BY_HOP, RequestParser, ResponseParser, buildRequestHead, emitChunk, emitResponseHead, type RequestHead, type ResponseHead } from "../../src/http/index.ts";
import { RangeQueue } from "../../src/l7/range-queue.ts";
import { run } from "./feed.ts";

const req = (s: string) => run<RequestHead>((h) => new RequestParser(h), s, "whole").messages[0]!.head;
const res = (s: string) => run<ResponseHead>((h) => new ResponseParser(h), s, "whole", true).messages[0]!.head;

describe("serialisers", () => {
  test("drop hop-by-hop fields and those named in Connection, keep order, case and duplicates", () => {
    const r = req("GET /p HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: 5\r\nA: 1\r\nTE: trailers\r\nSet-Thing: 1\r\nSet-Thing: 2\r\nProxy-Connection: x\r\n\r\n");
    const out = buildRequestHead(r, HOP_BY_HOP, "x-added: 1\r\n", null).toString("latin1");
    expect(out).toBe("GET /p HTTP/1.1\r\nHost: x\r\nA: 1\r\nSet-Thing: 1\r\nSet-Thing: 2\r\nx-added: 1\r\n\r\n");
  });

  test("Connection cannot strip end-to-end fields such as Host or Content-Length", () => {
    const r = req("POST / HTTP/1.1\r\nHost: x\r\nConnection: host, content-length, x-forwarded-for\r\nContent-Length: 1\r\n\r\nz");
    expect(r.has(H.NAMED_IN_CONNECTION)).toBe(false);
    expect(buildRequestHead(r, HOP_BY_HOP, "", null).toString()).toBe("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n");
  });

  test("rewrites the request line for a new target or an HTTP/1.0 request", () => {
    expect(buildRequestHead(req("GET /old?q HTTP/1.1\r\nHost: x\r\n\r\n"), HOP_BY_HOP, "", "/new?q").toString()).toBe("GET /new?q HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(buildRequestHead(req("GET / HTTP/1.0\r\n\r\n"), HOP_BY_HOP, "", null).toString()).toBe("GET / HTTP/1.1\r\n\r\n");
  });

  const collect = (fill: (q: RangeQueue) => void) => {
    const q = new RangeQueue();
    fill(q);
    const out = Buffer.alloc(q.bytes);
    q.copyTo(out);
    return { q, text: out.toString("latin1") };
  };

  test("a response needing no change is passed on as one range of the received bytes", () => {
    const r = res("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    const same = collect((q) => emitResponseHead(r, HOP_BY_HOP, "", q));
    expect([same.q.length, same.q.bufs[0] === r.buf, same.text]).toEqual([1, true, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]);
    const r10 = res("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    expect(collect((q) => emitResponseHead(r10, HOP_BY_HOP, "connection: close\r\n", q)).text).toBe("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nconnection: close\r\n\r\n");
  });

  test("dropping Connection: keep-alive anywhere in a response keeps exactly one empty line", () => {
    for (const [given, want] of [
      ["HTTP/1.1 200 OK\r\nA: 1\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"],
      ["HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nA: 1\r\n\r\n", "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"],
      ["HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n"],
      ["HTTP/1.1 204 No Content\r\nA: 1\r\nKeep-Alive: 5\r\nB: 2\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.1 204 No Content\r\nA: 1\r\nB: 2\r\n\r\n"],
    ]) expect(collect((q) => emitResponseHead(res(given!), HOP_BY_HOP, "", q)).text).toBe(want!);
  });

  test("chunk framing", () => {
    const data = Buffer.from("xxhelloxx");
    expect(collect((q) => emitChunk(q, data, 2, 7)).text).toBe("5\r\nhello\r\n");
    expect(collect((q) => emitChunk(q, Buffer.alloc(20_000, 97), 0, 20_000)).text.slice(0, 6)).toBe("4e20\r\n");
  });
});
