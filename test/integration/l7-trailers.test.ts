/**
 * Chunked trailers through a real node, both ways, on raw sockets at each end: a backend's
 * response trailers reach an HTTP/1.1 client with the chunked framing relayed as is (an HTTP/1.0
 * client gets the decoded body and no trailers, since it cannot take chunked); a client's request
 * trailers reach the backend, minus the framing/routing fields a trailer may not carry.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { chunkedBackend, decodeChunked, type ChunkedBackend } from "./helpers/chunked-backend.ts";
import { removeTempDirs, startNode } from "./helpers/l7-node.ts";

const BODY = "5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: abc123\r\nx-served-by: raw-backend\r\n\r\n";
const RESPONSE = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum, x-served-by\r\n\r\n${BODY}`;

let be: ChunkedBackend;
let port = 0;

beforeAll(async () => {
  be = chunkedBackend(RESPONSE);
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

/** Splits a raw response into its lower-cased head and the bytes after it. */
function split(text: string): { head: string; rest: string } {
  const at = text.indexOf("\r\n\r\n");
  if (at < 0) throw new Error(`no response head: ${JSON.stringify(text.slice(0, 200))}`);
  return { head: text.slice(0, at).toLowerCase(), rest: text.slice(at + 4) };
}

test("a backend's response trailers reach an HTTP/1.1 client with the chunked body", async () => {
  const r = await rawExchange(port, "GET /t HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
  expect(r.closed).toBe(true);
  const { head, rest } = split(r.text);
  expect(head.startsWith("http/1.1 200")).toBe(true);
  expect(head).toContain("\r\ntransfer-encoding: chunked");
  expect(head).not.toContain("content-length");
  const c = decodeChunked(rest, 0);
  expect(c).not.toBeNull();
  expect(c!.body).toBe("hello world");
  expect(c!.trailers).toEqual(["x-checksum: abc123", "x-served-by: raw-backend"]);
  // relayed as is: the framing the backend wrote is the framing the client read
  expect(rest).toBe(BODY);
});

test("keep-alive survives a trailer section: the next request on the connection is answered too", async () => {
  const req = "GET /a HTTP/1.1\r\nhost: test\r\n\r\nGET /b HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n";
  const r = await rawExchange(port, req);
  expect(r.closed).toBe(true);
  const first = split(r.text);
  const c1 = decodeChunked(first.rest, 0)!;
  expect(c1.trailers).toContain("x-checksum: abc123");
  const second = split(first.rest.slice(c1.end));
  expect(second.head.startsWith("http/1.1 200")).toBe(true);
  expect(decodeChunked(second.rest, 0)!.trailers).toContain("x-checksum: abc123");
});

test("an HTTP/1.0 client gets the decoded body without trailers, then the connection closes", async () => {
  const r = await rawExchange(port, "GET /old HTTP/1.0\r\nhost: test\r\n\r\n");
  expect(r.closed).toBe(true);
  const { head, rest } = split(r.text);
  expect(head).toMatch(/^http\/1\.[01] 200/);
  expect(head).not.toContain("transfer-encoding");
  expect(rest).toBe("hello world");
});

test("a client's request trailers reach the backend; framing and routing fields in them do not", async () => {
  const before = be.seen.length;
  const req =
    "POST /up HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\ntrailer: x-sum\r\nconnection: close\r\n\r\n" +
    "4\r\nabcd\r\n3\r\nefg\r\n0\r\nx-sum: 42\r\nhost: evil.example\r\nx-note: kept\r\n\r\n";
  const r = await rawExchange(port, req);
  expect(split(r.text).head.startsWith("http/1.1 200")).toBe(true);
  expect(be.seen.length).toBe(before + 1);
  const got = be.seen[before]!;
  expect(got.head.toLowerCase()).toContain("\r\ntransfer-encoding: chunked");
  expect(got.body).toBe("abcdefg");
  expect(got.trailers).toEqual(["x-sum: 42", "x-note: kept"]);
});
