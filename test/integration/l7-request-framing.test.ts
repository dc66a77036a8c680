/**
 * Content-Length goes upstream as exactly one canonical line (issue 11, item 5): duplicate
 * identical lines and leading zeros, which RFC 9110 §8.6 lets a recipient accept, reach the
 * backend as one `content-length: N`; differing values stay a 400 (test/l7/cases.ts). A canonical
 * line is forwarded as received.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { chunkedBackend, type ChunkedBackend } from "./helpers/chunked-backend.ts";
import { removeTempDirs, startNode } from "./helpers/l7-node.ts";

let be: ChunkedBackend;
let port = 0;

beforeAll(async () => {
  be = chunkedBackend("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  const n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "raw" }],
    pools: [{ name: "raw", backends: [{ address: be.address }] }],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  be?.stop();
});

/** Sends `first` then a pipelined GET /next; returns the heads the backend saw for both and their bodies. */
async function send(first: string): Promise<{ lines: string[]; body: string; next: string }> {
  const before = be.seen.length;
  const r = await rawExchange(port, `${first}GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
  expect(r.text.match(/HTTP\/1\.1 200 OK/g)?.length).toBe(2);
  const got = be.seen.slice(before);
  expect(got.length).toBe(2);
  const lines = got[0]!.head.split("\r\n").filter((l) => /^content-length:/i.test(l));
  return { lines, body: got[0]!.body, next: got[1]!.head.split("\r\n")[0]! };
}

test("two identical Content-Length lines reach the backend as one", async () => {
  const r = await send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello");
  expect(r.lines).toEqual(["content-length: 5"]);
  expect(r.body).toBe("hello");
  expect(r.next).toBe("GET /next HTTP/1.1");
});

test("a Content-Length with leading zeros reaches the backend without them", async () => {
  const r = await send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 005\r\n\r\nhello");
  expect(r.lines).toEqual(["content-length: 5"]);
  expect(r.body).toBe("hello");
  expect(r.next).toBe("GET /next HTTP/1.1");
});

test("three Content-Length: 0 lines on a GET become one", async () => {
  const r = await send("GET /c HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 0\r\nContent-Length: 00\r\n\r\n");
  expect(r.lines).toEqual(["content-length: 0"]);
  expect(r.next).toBe("GET /next HTTP/1.1");
});

test("an HTTP/1.0 request's duplicate lines become one too", async () => {
  const before = be.seen.length;
  const r = await rawExchange(port, "POST /d HTTP/1.0\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
  expect(r.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
  const got = be.seen[before]!;
  expect(got.head.split("\r\n").filter((l) => /^content-length:/i.test(l))).toEqual(["content-length: 3"]);
  expect(got.body).toBe("abc");
});

test("one canonical Content-Length line is forwarded as received", async () => {
  const r = await send("POST /e HTTP/1.1\r\nHost: t\r\nCONTENT-LENGTH: 5\r\n\r\nhello");
  expect(r.lines).toEqual(["CONTENT-LENGTH: 5"]);
  expect(r.body).toBe("hello");
});
