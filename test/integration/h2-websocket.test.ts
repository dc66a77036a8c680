/**
 * WebSocket over HTTP/2 (RFC 8441) through a real node: the node advertises
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, an extended CONNECT (`:protocol websocket`) becomes an HTTP/1.1
 * upgrade to the backend (with the Sec-WebSocket-Key HTTP/1.1 needs), the backend's 101 is the
 * client's 200, and then DATA frames carry the WebSocket frames both ways; ordinary requests go on
 * alongside on the same connection; the access log has one line for it when it ends, with the
 * tunnel's bytes both ways and the 200 the client saw. Clients: Fulcrum's own codec (test/h2/helpers), so every frame
 * is visible.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { connectH2, type H2TestClient } from "../h2/helpers/h2-client.ts";
import { type H2Stream, type H2StreamHandler, type HeaderList } from "../../src/h2/index.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { removeTempDirs, startNode, tempDir, type L7Node } from "./helpers/l7-node.ts";

let echo: Server<{ key: string | null }>;
let n: L7Node;
let client: H2TestClient | undefined;
const logFile = join(tempDir(), "access.log");

beforeAll(async () => {
  echo = Bun.serve<{ key: string | null }>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      if (server.upgrade(req, { data: { key: req.headers.get("sec-websocket-key") } })) return undefined;
      return new Response("plain", { headers: { "x-plain": "1" } });
    },
    websocket: {
      open: (ws) => void ws.send(`hello, key ${ws.data.key ? "present" : "missing"}`),
      message: (ws, msg) => void ws.send(`echo:${msg}`),
    },
  });
  n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "ws", access_log: logFile }],
    pools: [{ name: "ws", backends: [{ address: `127.0.0.1:${echo.port}` }] }],
  });
});

afterAll(async () => {
  client?.close();
  await killAll();
  removeTempDirs();
  echo?.stop(true);
});

/** A client WebSocket text frame (masked, RFC 6455 §5.2). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text), mask = Buffer.from([1, 2, 3, 4]);
  const out = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]);
  for (let i = 0; i < payload.length; i++) out[6 + i]! ^= mask[i & 3]!;
  return out;
}

/** The texts of the unmasked server frames in `buf` (small frames only). */
function texts(buf: Buffer): string[] {
  const out: string[] = [];
  for (let p = 0; p + 2 <= buf.length; ) {
    const len = buf[p + 1]! & 0x7f;
    out.push(buf.toString("utf8", p + 2, p + 2 + len));
    p += 2 + len;
  }
  return out;
}

class Collect implements H2StreamHandler {
  status = 0;
  data = Buffer.alloc(0);
  ended = false;
  onHeaders(_s: H2Stream, h: HeaderList) { this.status = h.status; }
  onData(_s: H2Stream, b: Buffer, s: number, e: number, end: boolean) { this.data = Buffer.concat([this.data, b.subarray(s, e)]); this.ended ||= end; }
  onTrailers() { this.ended = true; }
  onReset() { this.ended = true; }
  onWritable() {}
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

test("an extended CONNECT carries a WebSocket both ways, beside ordinary requests on the same connection", async () => {
  client = await connectH2(n.port("web"));
  const h2 = client.h2;
  await until(() => h2.gotSettings);
  expect(h2.peerExtendedConnect).toBe(true);
  const ws = new Collect();
  const stream = h2.request(ws, { method: "CONNECT", scheme: "http", authority: "ws.test", path: "/chat", protocol: "websocket", fields: ["sec-websocket-version", "13"] }, false);
  expect(stream).not.toBeNull();
  await until(() => ws.status !== 0 && texts(ws.data).length >= 1);
  expect(ws.status).toBe(200);
  expect(texts(ws.data)).toEqual(["hello, key present"]);
  h2.sendData(stream!, textFrame("ping"), 0, 6 + 4, false);
  await until(() => texts(ws.data).length >= 2);
  expect(texts(ws.data)[1]).toBe("echo:ping");
  // an ordinary request on the same connection meanwhile
  const plain = new Collect();
  h2.request(plain, { method: "GET", scheme: "http", authority: "ws.test", path: "/plain" }, true);
  await until(() => plain.ended);
  expect([plain.status, plain.data.toString()]).toEqual([200, "plain"]);
  // the client ends its side: the backend connection closes and so does the stream
  h2.sendData(stream!, Buffer.alloc(0), 0, 0, true);
  await until(() => ws.ended);
  // logged once, at the end, with the tunnel's bytes both ways, as an HTTP/1.1 upgrade is
  const lines = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)) : []);
  await until(() => lines().some((l) => l.target === "/chat"));
  const line = lines().find((l) => l.target === "/chat")!;
  // "hello, key present" (20 bytes framed) and "echo:ping" (11) out; the masked "ping" frame (10) in
  expect(line).toMatchObject({ protocol: "HTTP/2.0", target: "/chat", status: 200, upstream_status: 101, bytes_in: 10, bytes_out: 31 });
  expect(line.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
});
