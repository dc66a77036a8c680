/**
 * header_timeout_ms from the config reaches a real node: a client that sends half a request head
 * and stops gets 408 REQUEST_TIMEOUT and a closed connection after about the configured 500 ms
 * (deadlines run on a coarse clock advanced by a 250 ms sweep, so ±250 ms), never reaching a
 * backend; without the setting a listener compiles to the 10 s default.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { killAll } from "../helpers/process.ts";
import { backend, call, removeTempDirs, startNode } from "./helpers/l7-node.ts";

const HEADER_TIMEOUT_MS = 500;
const SWEEP_MS = 250;
const ok = backend("ok");
let port = 0;

beforeAll(async () => {
  const n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "ok", header_timeout_ms: HEADER_TIMEOUT_MS }],
    pools: [{ name: "ok", backends: [{ address: ok.address }] }],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  ok.stop();
});

/** Sends `partial` and waits (at most `ms`) for the server to close; returns what came back and when. */
async function stall(partial: string, ms = 4000): Promise<{ text: string; closed: boolean; elapsedMs: number }> {
  const got: Buffer[] = [];
  let closed = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const t0 = performance.now();
  let sock: Socket<undefined> | undefined;
  sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => void got.push(Buffer.from(d)),
      close: () => ((closed = true), done()),
      error: () => done(),
    },
  });
  sock.write(partial);
  const timer = setTimeout(done, ms);
  await finished;
  const elapsedMs = performance.now() - t0;
  clearTimeout(timer);
  if (!closed) sock.end();
  return { text: Buffer.concat(got).toString("latin1"), closed, elapsedMs };
}

test("half a request head gets 408 REQUEST_TIMEOUT and a close after header_timeout_ms", async () => {
  const hitsBefore = ok.hits;
  const r = await stall("GET /slow HTTP/1.1\r\nhost: test\r\nx-partial: ");
  expect(r.closed).toBe(true);
  expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
  expect(r.text.toLowerCase()).toContain("\r\nx-fulcrum-error: request_timeout\r\n");
  expect(r.text.toLowerCase()).toContain("\r\nconnection: close\r\n");
  // not earlier than the timeout less one sweep of clock skew, not later than one sweep plus slack
  expect(r.elapsedMs).toBeGreaterThanOrEqual(HEADER_TIMEOUT_MS - SWEEP_MS - 20);
  expect(r.elapsedMs).toBeLessThan(HEADER_TIMEOUT_MS + SWEEP_MS + 500);
  expect(ok.hits).toBe(hitsBefore);
});

test("a head dribbled in byte by byte is still cut at header_timeout_ms: its bytes do not extend it", async () => {
  const got: Buffer[] = [];
  let closedAt = 0;
  const t0 = performance.now();
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data: (_s, d) => void got.push(Buffer.from(d)), close: () => void (closedAt = performance.now()) },
  });
  const head = "GET /dribble HTTP/1.1\r\nhost: test\r\nx-long: " + "a".repeat(200);
  // one byte every 20 ms: over 4 s for the whole head, far past the timeout
  for (let i = 0; i < head.length && closedAt === 0 && performance.now() - t0 < 3000; i++) {
    sock.write(head[i]!);
    await Bun.sleep(20);
  }
  if (closedAt === 0) sock.end();
  expect(closedAt).toBeGreaterThan(0);
  expect(closedAt - t0).toBeLessThan(HEADER_TIMEOUT_MS + SWEEP_MS + 500);
  expect(Buffer.concat(got).toString("latin1")).toMatch(/^HTTP\/1\.1 408 /);
});

test("a complete request on the same listener is proxied as usual", async () => {
  const res = await call(port, "/fine");
  expect(res.status).toBe(200);
  expect(res.headers.get("x-backend")).toBe("ok");
  await res.arrayBuffer();
});

test("header_timeout_ms compiles from the config, and defaults to 10,000 ms when absent", () => {
  const doc = validateConfig({
    listeners: [
      { name: "set", protocol: "http", address: "127.0.0.1:0", pool: "p", header_timeout_ms: 500 },
      { name: "unset", protocol: "http", address: "127.0.0.1:0", pool: "p" },
    ],
    pools: [{ name: "p", backends: [{ address: "127.0.0.1:9" }] }],
  });
  const snap = compileSnapshot(doc, 1);
  const byName = new Map(snap.listeners.map((l) => [l.name, l]));
  expect(byName.get("set")!.headerTimeoutMs).toBe(500);
  expect(byName.get("unset")!.headerTimeoutMs).toBe(10_000);
});
