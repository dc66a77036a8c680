/**
 * Protocol upgrades through a real node (issue 11, item 4): only WebSocket, or what a route's
 * `upgrade` lists, is offered to a backend; h2c and HTTP2-Settings are stripped as nginx does; a
 * 101 that switches to anything not offered is a 502 BAD_UPGRADE and the client connection closes,
 * so no backend can open a blind tunnel past routing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { rawClient } from "./helpers/raw-client.ts";
import { removeTempDirs, startNode } from "./helpers/l7-node.ts";
import { scriptedBackend, type Script, type ScriptedBackend, type ScriptedRequest } from "./helpers/scripted-backend.ts";

/** A backend that switches to whatever it is asked for (or, on /lie, to h2c whatever it is asked). */
function answer(name: string) {
  return (req: ScriptedRequest): Script => {
    const asked = /\r\nupgrade:\s*([^\r]*)/i.exec(req.head)?.[1];
    const to = req.target.startsWith("/up/lie") ? "h2c" : req.target.startsWith("/up/bare") ? "" : asked?.split(",")[0]?.trim();
    if (to !== undefined) {
      const upgrade = to === "" ? "" : `Upgrade: ${to}\r\n`;
      return { parts: [`HTTP/1.1 101 Switching Protocols\r\n${upgrade}Connection: Upgrade\r\n\r\n`], tunnel: true };
    }
    const body = `${name}\n${req.head}`;
    return { parts: [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`] };
  };
}

let up: ScriptedBackend;
let other: ScriptedBackend;
let port = 0;

beforeAll(async () => {
  up = scriptedBackend(answer("up"));
  other = scriptedBackend(answer("other"));
  const n = await startNode({
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0", pool: "other",
      routes: [
        { name: "foo", match: { path_prefix: "/up/foo" }, pool: "up", upgrade: ["websocket", "foo"] },
        { name: "none", match: { path_prefix: "/up/none" }, pool: "up", upgrade: [] },
        { name: "up", match: { path_prefix: "/up" }, pool: "up" },
      ],
    }],
    pools: [
      { name: "up", backends: [{ address: up.address }] },
      { name: "other", backends: [{ address: other.address }] },
    ],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  up?.stop();
  other?.stop();
});

const H2C = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n";
const WS = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/** The head the backend saw for the last request with `target`, lower-cased. */
function seenHead(be: ScriptedBackend, target: string): string {
  const r = be.requests.filter((q) => q.target === target).at(-1);
  if (!r) throw new Error(`the backend saw no ${target}`);
  return r.head.toLowerCase();
}

test("h2c is stripped with HTTP2-Settings: the request goes on as a plain one and the next is routed by its own path", async () => {
  const first = `GET /up/a HTTP/1.1\r\nHost: t\r\n${H2C}\r\n`;
  const second = "GET /elsewhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  const r = await rawExchange(port, first + second);
  const head = seenHead(up, "/up/a");
  expect(head).not.toContain("upgrade");
  expect(head).not.toContain("http2-settings");
  expect(r.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
  // the second request reached the pool its path routes to, not a tunnel to the first backend
  expect(r.text).toContain("\r\n\r\nother\nGET /elsewhere ");
  expect(up.requests.some((q) => q.target === "/elsewhere")).toBe(false);
});

test("WebSocket is offered by default; its 101 opens the tunnel with Upgrade and Connection: upgrade", async () => {
  const c = await rawClient(port);
  try {
    c.write(`GET /up/ws HTTP/1.1\r\nHost: t\r\n${WS}\r\n`);
    const head = (await c.waitFor("\r\n\r\n")).toLowerCase();
    expect(head.startsWith("http/1.1 101 ")).toBe(true);
    expect(head).toContain("\r\nupgrade: websocket\r\n");
    expect(head).toContain("\r\nconnection: upgrade\r\n");
    const seen = seenHead(up, "/up/ws");
    expect(seen).toContain("\r\nupgrade: websocket");
    expect(seen).toContain("\r\nconnection: upgrade");
    c.write("through the tunnel");
    await c.waitFor("through the tunnel");
  } finally {
    c.end();
  }
});

test("of several offered protocols only the allowed ones reach the backend", async () => {
  const r = await rawExchange(port, `GET /up/mixed HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: h2c, websocket, foo\r\n\r\n`, 1000);
  expect(seenHead(up, "/up/mixed")).toMatch(/\r\nupgrade: websocket(\r|$)/);
  expect(r.text.startsWith("HTTP/1.1 101 ")).toBe(true);
});

test("a route's upgrade list lets another protocol through, with its version", async () => {
  const c = await rawClient(port);
  try {
    c.write("GET /up/foo HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo/2\r\n\r\n");
    const head = (await c.waitFor("\r\n\r\n")).toLowerCase();
    expect(head.startsWith("http/1.1 101 ")).toBe(true);
    expect(seenHead(up, "/up/foo")).toContain("\r\nupgrade: foo/2");
    c.write("foo bytes");
    await c.waitFor("foo bytes");
  } finally {
    c.end();
  }
});

test("a protocol the route does not list is stripped; upgrade: [] strips WebSocket too", async () => {
  const foo = await rawExchange(port, "GET /up/x HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\nConnection: close\r\n\r\n");
  expect(foo.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
  expect(seenHead(up, "/up/x")).not.toContain("upgrade");
  const ws = await rawExchange(port, `GET /up/none HTTP/1.1\r\nHost: t\r\n${WS}Connection: close\r\n\r\n`);
  expect(ws.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
  expect(seenHead(up, "/up/none")).not.toContain("upgrade");
});

test("an HTTP/1.0 request never upgrades (RFC 9110 §7.8)", async () => {
  const r = await rawExchange(port, `GET /up/old HTTP/1.0\r\nHost: t\r\n${WS}\r\n`);
  expect(r.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
  expect(seenHead(up, "/up/old")).not.toContain("upgrade");
});

for (const [name, path, extra] of [
  ["a 101 to an upgrade the proxy stripped", "/up/lie/h2c", H2C],
  ["a 101 to a request that asked for nothing", "/up/lie/plain", ""],
  ["a 101 switching to another protocol than the one offered", "/up/lie/ws", WS],
  ["a 101 that names no protocol", "/up/bare", WS],
] as const) {
  test(`${name} is a 502 BAD_UPGRADE and the client connection closes`, async () => {
    const next = "GET /elsewhere/after HTTP/1.1\r\nHost: t\r\n\r\n";
    const r = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n${next}`);
    expect(r.text.startsWith("HTTP/1.1 502 ")).toBe(true);
    expect(r.text).toContain("x-fulcrum-error: BAD_UPGRADE");
    expect(r.text).toContain("connection: close");
    expect(r.text).not.toContain("101");
    expect(r.closed).toBe(true);
    // nothing after it was answered or reached a backend
    expect(r.text.indexOf("HTTP/1.1", 1)).toBe(-1);
    expect([...up.requests, ...other.requests].some((q) => q.target === "/elsewhere/after")).toBe(false);
  });
}
