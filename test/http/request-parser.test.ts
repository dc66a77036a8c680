import { describe, expect, test } from "bun:test";
import { BodyKind, RequestParser, type RequestHead } from "../../src/http/index.ts";
import { MALFORMED } from "../l7/cases.ts";
import { SPLITS, run, type Split } from "./feed.ts";

const parse = (data: string | Buffer, split: Split = "whole") => run<RequestHead>((h) => new RequestParser(h), data, split);


describe("request parser rejects", () => {
  for (const [name, data, reason, status] of MALFORMED) {
    test(`${name} (${reason}) under every packet split, and stays failed`, () => {
      for (const split of SPLITS) {
        const r = parse(data, split);
        expect({ split, reason: r.error?.reason }).toEqual({ split, reason: reason as never });
        expect(r.error!.status).toBe(status);
      }
    });
  }

  test("any byte after an error: the parser is terminal", () => {
    const r = run<RequestHead>((h) => new RequestParser(h), "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "whole");
    expect(r.error?.reason).toBe("WS_BEFORE_COLON");
    const p = new RequestParser({ onHead() {}, onBody() {}, onEnd() {} });
    expect(p.feed(Buffer.from("GET / HTTP/1.1\r\nHost : a\r\n\r\n"))).toBe(-1);
    expect(p.feed(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))).toBe(-1);
  });
});

describe("request parser accepts", () => {
  const each = (name: string, data: string | Buffer, check: (r: ReturnType<typeof parse>) => void) =>
    test(name, () => {
      for (const split of SPLITS) {
        const r = parse(data, split);
        expect(r.error).toBeNull();
        check(r);
      }
    });

  each("targets of one length, repeated and alternating, each read as its own bytes", [
    "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /ITEMS/2 HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /items/10 HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n", `GET /${"a".repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `GET /${"a".repeat(199)}b HTTP/1.1\r\nHost: x\r\n\r\n`,
  ].join(""), (r) => {
    expect(r.messages.map((m) => m.head.target)).toEqual(
      ["/items/1", "/items/1", "/items/2", "/ITEMS/2", "/items/1", "/items/10", "/", `/${"a".repeat(200)}`, `/${"a".repeat(199)}b`],
    );
  });

  each("pipelined GETs in order, each with its fields", "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q=1 HTTP/1.1\r\nHost: y\r\nAccept: */*\r\n\r\n", (r) => {
    expect(r.messages.map((m) => [m.head.method, m.head.target, m.head.host])).toEqual([["GET", "/a", "x"], ["GET", "/b?q=1", "y"]]);
    expect(r.messages[1]!.head.entries()).toEqual([["Host", "y"], ["Accept", "*/*"]]);
  });

  each("a Content-Length body, streamed", "POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world", (r) => {
    expect(r.messages[0]!.head.bodyKind).toBe(BodyKind.Length);
    expect(r.messages[0]!.body.toString()).toBe("hello world");
  });

  each("identical repeated Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", (r) => {
    expect(r.messages[0]!.body.toString()).toBe("abc");
    expect(r.messages[0]!.head.lengthRewrite).toBe(true);
  });

  each("Content-Length is marked for a canonical rewrite only when repeated or zero-padded",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 005\r\n\r\nabcde" +
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789" +
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", (r) => {
      expect(r.messages.map((m) => [m.head.contentLength, m.head.lengthRewrite])).toEqual([[5, true], [10, false], [0, false], [-1, false]]);
    });

  each("a chunked body with extensions and trailers, then the next request",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n5;name=\"v\"\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\nGET /n HTTP/1.1\r\nHost: x\r\n\r\n", (r) => {
      expect(r.messages[0]!.body.toString()).toBe("hello0123456789");
      expect(r.messages[0]!.trailers).toBe("X-Sum: 1\r\nX-Other: 2\r\n");
      expect(r.messages[1]!.head.target).toBe("/n");
    });

  each("trailers lose framing and routing fields but keep the rest",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 50\r\nX-Sum: 1\r\nHost: evil\r\nTransfer-Encoding: chunked\r\n\r\n", (r) => {
      expect(r.messages[0]!.trailers).toBe("X-Sum: 1\r\n");
    });

  each("empty lines before a request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", (r) => {
    expect(r.messages.length).toBe(1);
  });

  each("HTTP/1.0 with keep-alive, and HTTP/1.1 with close", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", (r) => {
    expect(r.messages.map((m) => [m.head.versionMinor, m.head.keepAlive])).toEqual([[0, true], [1, false]]);
  });

  each("Upgrade, Expect: 100-continue, CONNECT, OPTIONS * and absolute-form",
    "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n" +
    "PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz" +
    "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n" +
    "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET http://x/p HTTP/1.1\r\nHost: x\r\n\r\n", (r) => {
      const [ws, put, connect, options, abs] = r.messages.map((m) => m.head);
      expect([ws!.upgrade, put!.expectContinue, connect!.isConnect, options!.target, abs!.target]).toEqual([true, true, true, "*", "http://x/p"]);
    });

  each("absolute-form: the path starts after the authority, which agrees with Host up to case, a trailing dot and the default port",
    "GET HTTP://Secret.Internal/a?b HTTP/1.1\r\nHost: secret.internal.:80\r\n\r\n" +
    "GET https://a.test?q HTTP/1.1\r\nHost: A.TEST:443\r\n\r\n" +
    "GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n" +
    "GET http://b.test/p HTTP/1.0\r\n\r\n" +
    "GET /o HTTP/1.1\r\nHost: [::1]\r\n\r\nGET /o HTTP/1.1\r\nHost: a_b.test.:0\r\n\r\n", (r) => {
      const [a, b, c, d, e, f] = r.messages.map((m) => m.head);
      expect([a!.pathStart, b!.pathStart, c!.pathStart, d!.pathStart, e!.pathStart, f!.pathStart]).toEqual([22, 14, 17, 13, 0, 0]);
      expect([a!.host, b!.host, c!.host, d!.host]).toEqual(["secret.internal.:80", "A.TEST:443", "[::1]:8080", "b.test"]);
      expect(d!.has(8)).toBe(false); // the HTTP/1.0 request sent no Host: its host is the authority
    });

  each("obs-text and empty values, trimmed whitespace", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\nX-Empty:\r\nX-Pad: \t v \t\r\n\r\n", "latin1"), (r) => {
    const h = r.messages[0]!.head;
    expect([h.get("x-latin"), h.get("x-empty"), h.get("x-pad")]).toEqual(["caf\xe9", "", "v"]);
  });

  each("exactly the field-count limit", `GET / HTTP/1.1\r\nHost: a\r\n${"X: y\r\n".repeat(99)}\r\n`, (r) => {
    expect(r.messages[0]!.head.count).toBe(100);
  });

  test("a large body arrives intact under random splits without being buffered whole", () => {
    const body = Buffer.alloc(200_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff;
    const data = Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    let pieces = 0, largest = 0;
    const got: Buffer[] = [];
    const p = new RequestParser({ onHead() {}, onBody: (b, s, e) => { pieces++; largest = Math.max(largest, e - s); got.push(Buffer.from(b.subarray(s, e))); }, onEnd() {} });
    for (let i = 0; i < data.length; i += 4096) p.feed(data.subarray(i, i + 4096));
    expect(Buffer.concat(got).equals(body)).toBe(true);
    expect(pieces).toBeGreaterThan(40);
    expect(largest).toBeLessThanOrEqual(4096);
  });
});
