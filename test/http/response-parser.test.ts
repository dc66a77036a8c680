import { describe, expect, test } from "bun:test";
import { BodyKind, H, ResponseParser, type ResponseHead } from "../../src/http/index.ts";
import { RESPONSE_CASES } from "../l7/response-cases.ts";
import { SPLITS, run, type Split } from "./feed.ts";

const parse = (data: string, split: Split, method = "GET", eof = false, raw = false) =>
  run<ResponseHead>((h) => {
    const p = new ResponseParser(h);
    p.expect(method);
    p.raw = raw;
    return p;
  }, data, split, eof);

describe("response parser", () => {
  test("HEAD, 204 and 304 responses have no body whatever their fields say", () => {
    for (const split of SPLITS) {
      const head = parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", split, "HEAD");
      expect(head.messages.map((m) => [m.head.status, m.body.length])).toEqual([[200, 0]]);
      const r = parse("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", split);
      expect(r.messages.map((m) => [m.head.status, m.head.bodyKind])).toEqual([[204, BodyKind.None], [304, BodyKind.None]]);
    }
  });

  test("1xx heads come as their own messages before the final response", () => {
    for (const split of SPLITS) {
      const r = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", split);
      expect(r.messages.map((m) => [m.head.status, m.body.toString()])).toEqual([[100, ""], [103, ""], [200, "ok"]]);
    }
  });

  test("a body delimited by close ends at EOF; a cut Content-Length body is an error", () => {
    for (const split of SPLITS) {
      const r = parse("HTTP/1.0 200 OK\r\nX: y\r\n\r\nuntil the end", split, "GET", true);
      expect(r.messages.map((m) => [m.head.bodyKind, m.head.keepAlive, m.body.toString()])).toEqual([[BodyKind.Close, false, "until the end"]]);
      const cut = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", split, "GET", true);
      expect(cut.error?.reason).toBe("PREMATURE_EOF");
    }
  });

  test("raw mode hands chunked framing through byte for byte", () => {
    const body = "4\r\nwiki\r\n5;x=1\r\npedia\r\n0\r\nT: v\r\n\r\n";
    for (const split of SPLITS) {
      const r = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, split, "GET", false, true);
      expect(r.messages[0]!.body.toString()).toBe(body);
      const decoded = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, split);
      expect([decoded.messages[0]!.body.toString(), decoded.messages[0]!.trailers]).toEqual(["wikipedia", "T: v\r\n"]);
    }
  });

  test("101 starts a tunnel and the parser stops at the end of the head", () => {
    const r = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello", "whole");
    expect(r.messages.length).toBe(0);
  });

  const BAD: [string, string][] = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "TE_AND_CL"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", "DIFFERING_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "BAD_CHUNK_SIZE"],
    ["HTTP/1.1 2000 OK\r\n\r\n", "BAD_STATUS_LINE"],
    ["HTTP/1.1 099 Low\r\n\r\n", "BAD_STATUS_LINE"],
    ["HTTP/2 200 OK\r\n\r\n", "BAD_STATUS_LINE"],
    ["HTTP/1.1 200 OK\r\nX : y\r\n\r\n", "WS_BEFORE_COLON"],
    ["HTTP/1.1 200 OK\nX: y\n\n", "BARE_LF"],
  ];
  for (const [data, reason] of BAD) {
    test(`rejects a response with ${reason} as a 502 UPSTREAM_PROTOCOL`, () => {
      for (const split of SPLITS) {
        const r = parse(data, split);
        expect(r.error?.reason).toBe(reason as never);
        expect([r.error!.status, r.error!.code, r.error!.source]).toEqual([502, "UPSTREAM_PROTOCOL", "upstream"]);
      }
    });
  }

  // the shared response-side list: every head it refuses, refused by the parser under every split
  for (const c of RESPONSE_CASES) {
    const e = c.expect;
    if (!("refused" in e) || e.refused === null) continue;
    test(`${c.name}: ${e.refused} under every packet split`, () => {
      for (const split of SPLITS) {
        const r = parse(typeof c.response === "string" ? c.response : c.response.join(""), split);
        expect({ split, reason: r.error?.reason }).toEqual({ split, reason: e.refused as never });
        expect(r.error!.code).toBe("UPSTREAM_PROTOCOL");
      }
    });
  }

  test("framing fields: lengthRewrite for repeated or padded Content-Length, HTTP2-Settings known", () => {
    const r = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok" +
      "HTTP/1.1 200 OK\r\nContent-Length: 02\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\nHTTP2-Settings: x\r\n\r\nok", "whole");
    expect(r.messages.map((m) => [m.head.contentLength, m.head.lengthRewrite, m.body.toString()])).toEqual([[2, true, "ok"], [2, true, "ok"], [2, false, "ok"]]);
    expect(r.messages[2]!.head.has(H.HTTP2_SETTINGS)).toBe(true);
  });

  test("keeps several Set-Cookie fields and reads the reason phrase", () => {
    const r = parse("HTTP/1.1 200 Fine Thanks\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2; Path=/\r\nContent-Length: 0\r\n\r\n", "bytes");
    expect(r.messages[0]!.head.getAll("set-cookie")).toEqual(["a=1", "b=2; Path=/"]);
    expect(r.messages[0]!.head.reason()).toBe("Fine Thanks");
  });
});
