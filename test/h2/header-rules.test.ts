/** RFC 9113 §8.1-§8.3 message rules, each broken once, and what a valid section carries. */
import { describe, expect, test } from "bun:test";
import { H } from "../../src/http/index.ts";
import { buildSection, type SectionKind } from "../../src/h2/header-rules.ts";
import { HeaderList } from "../../src/h2/index.ts";
import { HpackDecoder, HpackEncoder } from "../../src/h2/hpack/index.ts";

const REQ: [string, string][] = [[":method", "GET"], [":scheme", "https"], [":authority", "example.com"], [":path", "/a?b"]];

function section(fields: [string, string][], kind: SectionKind = "request", sensitive: string[] = []): HeaderList | string {
  const e = new HpackEncoder(), d = new HpackDecoder(4096, 65536);
  e.begin();
  // the encoder lower-cases nothing itself: upper-case names reach the decoder as sent
  for (const [n, v] of fields) e.field(n, v, sensitive.includes(n));
  return buildSection(d.decode(e.buf, 0, e.finish()), kind);
}

describe("valid sections", () => {
  test("a request carries its pseudo-headers apart and its fields in HTTP/1.1's layout", () => {
    const h = section([...REQ, ["content-length", "5"], ["x-forwarded-for", "1.2.3.4"], ["authorization", "Bearer x"]], "request", ["authorization"]) as HeaderList;
    expect([h.method, h.scheme, h.authority, h.path]).toEqual(["GET", "https", "example.com", "/a?b"]);
    expect(h.buf.toString("latin1", h.authorityStart, h.authorityEnd)).toBe("example.com");
    expect(h.entries()).toEqual([["content-length", "5"], ["x-forwarded-for", "1.2.3.4"], ["authorization", "Bearer x"]]);
    expect(h.contentLength).toBe(5);
    expect(h.has(H.CONTENT_LENGTH) && h.has(H.X_FORWARDED_FOR) && !h.has(H.HOST)).toBe(true);
    expect(h.isSensitive(2)).toBe(true);
    expect(h.isSensitive(0)).toBe(false);
    const all = [...REQ, ...h.entries()];
    expect(h.size).toBe(all.reduce((n, [a, b]) => n + a.length + b.length + 32, 0));
  });

  test("CONNECT carries :method and :authority only; OPTIONS may ask for *", () => {
    expect((section([[":method", "CONNECT"], [":authority", "db:5432"]]) as HeaderList).authority).toBe("db:5432");
    expect((section([[":method", "OPTIONS"], [":scheme", "http"], [":path", "*"], [":authority", "a"]]) as HeaderList).path).toBe("*");
  });

  test("TE: trailers is allowed; so is a Host equal to :authority", () => {
    expect(section([...REQ, ["te", "trailers"], ["host", "EXAMPLE.com"]])).toBeInstanceOf(HeaderList);
  });

  test("a response and trailers", () => {
    expect((section([[":status", "404"], ["content-type", "text/plain"]], "response") as HeaderList).status).toBe(404);
    expect((section([["grpc-status", "0"]], "trailers") as HeaderList).get("grpc-status")).toBe("0");
  });
});

describe("malformed sections (RFC 9113 §8.1.1)", () => {
  const cases: [string, [string, string][], SectionKind, string][] = [
    ["upper-case name", [...REQ, ["X-Test", "1"]], "request", "UPPERCASE_NAME"],
    ["space in a name", [...REQ, ["x test", "1"]], "request", "BAD_NAME"],
    ["colon inside a name", [...REQ, ["x:y", "1"]], "request", "BAD_NAME"],
    ["CR in a value", [...REQ, ["x-a", "1\r\nx-b: 2"]], "request", "BAD_VALUE"],
    ["NUL in a value", [...REQ, ["x-a", "a\0b"]], "request", "BAD_VALUE"],
    ["leading space in a value", [...REQ, ["x-a", " 1"]], "request", "BAD_VALUE"],
    ["trailing tab in a value", [...REQ, ["x-a", "1\t"]], "request", "BAD_VALUE"],
    ["pseudo-header after a field", [["x-a", "1"], ...REQ], "request", "PSEUDO_AFTER_FIELD"],
    ["unknown pseudo-header", [...REQ.slice(0, 2), [":foo", "1"], ...REQ.slice(2)], "request", "UNKNOWN_PSEUDO"],
    [":status in a request", [[":status", "200"], ...REQ], "request", "UNKNOWN_PSEUDO"],
    [":protocol without extended CONNECT", [...REQ, [":protocol", "websocket"]], "request", "UNKNOWN_PSEUDO"],
    ["duplicate :path", [...REQ, [":path", "/b"]], "request", "DUPLICATE_PSEUDO"],
    ["no :method", REQ.slice(1), "request", "MISSING_PSEUDO"],
    ["no :scheme", [REQ[0]!, REQ[2]!, REQ[3]!], "request", "MISSING_PSEUDO"],
    ["CONNECT with a :path", [[":method", "CONNECT"], [":authority", "a:1"], [":path", "/"]], "request", "MISSING_PSEUDO"],
    ["empty :path", [...REQ.slice(0, 3), [":path", ""]], "request", "BAD_PATH"],
    ["absolute-form :path", [...REQ.slice(0, 3), [":path", "http://x/"]], "request", "BAD_PATH"],
    ["* outside OPTIONS", [...REQ.slice(0, 3), [":path", "*"]], "request", "BAD_PATH"],
    ["space in :path", [...REQ.slice(0, 3), [":path", "/a b"]], "request", "BAD_PATH"],
    ["bad :method", [[":method", "G T"], ...REQ.slice(1)], "request", "BAD_METHOD"],
    ["bad :scheme", [REQ[0]!, [":scheme", "1http"], ...REQ.slice(2)], "request", "BAD_SCHEME"],
    ["userinfo in :authority", [...REQ.slice(0, 2), [":authority", "user@host"], REQ[3]!], "request", "BAD_AUTHORITY"],
    ["Host other than :authority", [...REQ, ["host", "other.example"]], "request", "HOST_MISMATCH"],
    ["two Hosts", [...REQ.slice(0, 2), REQ[3]!, ["host", "a"], ["host", "a"]], "request", "BAD_HOST"],
    ["connection", [...REQ, ["connection", "keep-alive"]], "request", "CONNECTION_SPECIFIC"],
    ["transfer-encoding", [...REQ, ["transfer-encoding", "chunked"]], "request", "CONNECTION_SPECIFIC"],
    ["upgrade", [...REQ, ["upgrade", "websocket"]], "request", "CONNECTION_SPECIFIC"],
    ["proxy-connection", [...REQ, ["proxy-connection", "close"]], "request", "CONNECTION_SPECIFIC"],
    ["keep-alive", [...REQ, ["keep-alive", "5"]], "request", "CONNECTION_SPECIFIC"],
    ["TE other than trailers", [...REQ, ["te", "gzip"]], "request", "BAD_TE"],
    ["non-numeric content-length", [...REQ, ["content-length", "1e3"]], "request", "BAD_CONTENT_LENGTH"],
    ["differing content-lengths", [...REQ, ["content-length", "1"], ["content-length", "2"]], "request", "BAD_CONTENT_LENGTH"],
    ["response without :status", [["x-a", "1"]], "response", "MISSING_PSEUDO"],
    ["two-digit :status", [[":status", "20"]], "response", "BAD_STATUS"],
    ["101 in HTTP/2", [[":status", "101"]], "response", "BAD_STATUS"],
    [":path in a response", [[":status", "200"], [":path", "/"]], "response", "UNKNOWN_PSEUDO"],
    ["pseudo-header in trailers", [[":status", "200"]], "trailers", "PSEUDO_IN_TRAILERS"],
  ];
  for (const [what, fields, kind, reason] of cases) {
    test(`${what}: ${reason}`, () => expect(section(fields, kind)).toBe(reason));
  }
});

describe("a reused list", () => {
  const build = (fields: [string, string][], into?: HeaderList, sensitive: string[] = []) => {
    const e = new HpackEncoder(), d = new HpackDecoder(4096, 65536);
    e.begin();
    for (const [n, v] of fields) e.field(n, v, sensitive.includes(n));
    return buildSection(d.decode(e.buf, 0, e.finish()), "request", true, into);
  };
  const view = (h: HeaderList) => ({
    pseudo: [h.method, h.scheme, h.authority, h.path, h.protocol, h.status, h.authorityStart, h.authorityEnd],
    entries: h.entries(), seen: h.seen, contentLength: h.contentLength, size: h.size,
    sensitive: Array.from({ length: h.count }, (_, i) => h.isSensitive(i)),
  });

  test("a list filled again holds exactly what a new list would", () => {
    const big: [string, string][] = [[":method", "CONNECT"], [":protocol", "websocket"], [":scheme", "https"], [":authority", "a.example:8443"], [":path", "/chat"],
      ["content-length", "12"], ["host", "a.example:8443"], ["authorization", "Bearer x"], ...Array.from({ length: 20 }, (_, i) => [`x-f${i}`, "v".repeat(i)] as [string, string])];
    const list = build(big, undefined, ["authorization"]) as HeaderList;
    const small: [string, string][] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], ["accept", "*/*"], ["accept-encoding", "gzip"], ["user-agent", "h2load"]];
    const again = build(small, list) as HeaderList;
    expect(again).toBe(list);
    expect(view(again)).toEqual(view(build(small) as HeaderList));
  });

  test("an :authority found valid once is not trusted for a different one", () => {
    expect(build(REQ)).toBeInstanceOf(HeaderList);
    expect(build(REQ)).toBeInstanceOf(HeaderList);
    expect(build([...REQ.slice(0, 2), [":authority", "bad host"], REQ[3]!])).toBe("BAD_AUTHORITY");
  });
});
