/**
 * A parser that reuses its heads (MessageParser.reuseHeads, what client and upstream connections
 * use so no head is allocated per message) must hand out a head indistinguishable from a new one:
 * every field back to its default, whatever the message before it set. Each message is parsed
 * after a "rich" one that sets nearly every field, and compared field by field with the head a
 * fresh parser makes of the same bytes.
 */
import { describe, expect, test } from "bun:test";
import { FIELD_STRIDE, RequestParser, ResponseParser, type HttpHead, type MessageHandler, type MessageParser, type RequestHead, type ResponseHead } from "../../src/http/index.ts";

/** Every own field of a head, its offset table cut to the fields it has (a reused table may be longer). */
function snapshot(h: HttpHead): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === "buf") continue;
    out[k] = k === "fields" ? Array.from((v as Int32Array).subarray(0, h.count * FIELD_STRIDE)) : v;
  }
  return out;
}

/** The head `parser` reports for `msg`, fed as one packet (the message must end within it). */
function headOf<H extends HttpHead>(make: (h: MessageHandler<H>) => MessageParser<H>, parser: MessageParser<H> | null, msg: Buffer): [H, MessageParser<H>] {
  let got: H | null = null;
  const handler: MessageHandler<H> = { onHead: (h) => void (got = h), onBody() {}, onEnd() {} };
  const p = parser ?? make(handler);
  p.handler = handler;
  expect(p.feed(msg)).toBe(msg.length);
  return [got!, p];
}

const RICH_REQUEST = "POST http://Example.com:8080/a/../b?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nExpect: 100-continue\r\n" +
  "Content-Length: 03\r\nContent-Length: 3\r\nConnection: close, x-hop\r\nX-Hop: 1\r\nX-Request-Id: r1\r\nX-Forwarded-For: 10.0.0.1\r\n\r\nabc";
const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "GET /x HTTP/1.0\r\n\r\n",
  "HEAD /h HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: b\r\n\r\n",
  "GET /ws HTTP/1.1\r\nHost: c\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "PUT /p HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
];

const RICH_RESPONSE = "HTTP/1.0 201 Created\r\nContent-Length: 02\r\nContent-Length: 2\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n\r\nok";
const RESPONSES = [
  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
  "HTTP/1.1 204 No Content\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n",
  "HTTP/1.1 100 Continue\r\n\r\n",
];

function compare<H extends HttpHead>(make: (h: MessageHandler<H>) => MessageParser<H>, rich: string, messages: string[], read: (h: H) => void) {
  const reusing = make({ onHead() {}, onBody() {}, onEnd() {} });
  reusing.reuseHeads();
  let first: H | null = null;
  for (const m of messages) {
    const [richHead] = headOf(make, reusing, Buffer.from(rich));
    read(richHead);
    first ??= richHead;
    const msg = Buffer.from(m);
    const [reused] = headOf(make, reusing, msg);
    const [fresh] = headOf(make, null, msg);
    expect(reused).toBe(first); // one head object for every message
    expect(snapshot(reused)).toEqual(snapshot(fresh));
    read(reused);
    read(fresh);
    expect(snapshot(reused)).toEqual(snapshot(fresh));
  }
}

describe("a parser reusing its heads", () => {
  test("request heads: each as a fresh parser makes it, whatever the request before set", () => {
    compare<RequestHead>((h) => new RequestParser(h), RICH_REQUEST, REQUESTS, (h) => void h.host);
  });

  test("response heads: each as a fresh parser makes it, whatever the response before set", () => {
    compare<ResponseHead>((h) => new ResponseParser(h), RICH_RESPONSE, RESPONSES, () => {});
  });

  test("without reuseHeads every message gets a head of its own", () => {
    const make = (h: MessageHandler<RequestHead>) => new RequestParser(h);
    const p = make({ onHead() {}, onBody() {}, onEnd() {} });
    const [a] = headOf(make, p, Buffer.from(REQUESTS[0]!));
    const [b] = headOf(make, p, Buffer.from(REQUESTS[0]!));
    expect(a).not.toBe(b);
    expect(a.fields).not.toBe(b.fields);
  });
});
