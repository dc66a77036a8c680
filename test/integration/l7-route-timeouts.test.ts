/**
 * Issue 5, "each timeout configurable per pool or route": idle_timeout_ms on a pool bounds how long
 * one of its requests may stall mid-transfer (the listener's idle timeout still rules between
 * requests), a route's value beats the pool's, and a route's connect_timeout_ms beats the pool's.
 * Through a real node; the stalls come from raw backends on loopback.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { startNode, removeTempDirs, tempDir, type L7Node } from "./helpers/l7-node.ts";
import { rawBackend, type RawBackend } from "./helpers/raw-backend.ts";

/** The deadline sweep runs every 250 ms; the rest is process and loopback slack on 2 busy cores. */
const LATE_MS = 250 + 350;
const dir = tempDir();
let stall: RawBackend;
let blackhole: { port: number; stop(): void } | undefined;
let n: L7Node;
let web = 0;

/** A port whose connects never complete: a backlog-0 listener that never accepts, its queue filled. */
async function startBlackhole(): Promise<{ port: number; stop(): void }> {
  const py = Bun.spawn(["python3", "-c", "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)"], { stdout: "pipe" });
  const reader = py.stdout.getReader();
  const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
  reader.releaseLock();
  const filler = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  return { port, stop: () => { filler.terminate(); py.kill(); } };
}

beforeAll(async () => {
  stall = rawBackend("stall-body");
  blackhole = Bun.which("python3") ? await startBlackhole() : undefined;
  n = await startNode({
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0", pool: "stall",
      routes: [
        { name: "route-idle", match: { path_prefix: "/route-idle" }, pool: "stall", idle_timeout_ms: 300 },
        { name: "pool-idle", match: { path_prefix: "/pool-idle" }, pool: "stall" },
        ...(blackhole ? [
          { name: "fast-connect", match: { path_prefix: "/fast-connect" }, pool: "hole", connect_timeout_ms: 300 },
          { name: "slow-connect", match: { path_prefix: "/slow-connect" }, pool: "hole" },
        ] : []),
      ],
    }],
    pools: [
      { name: "stall", idle_timeout_ms: 1500, backends: [{ address: stall.address }] },
      ...(blackhole ? [{ name: "hole", connect_timeout_ms: 1500, backends: [{ address: `127.0.0.1:${blackhole.port}` }] }] : []),
    ],
  }, dir);
  web = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  stall?.stop();
  blackhole?.stop();
});

/** One request (asking to close after it) on a fresh connection; how long until the connection closed, and what came back. */
async function timed(path: string): Promise<{ ms: number; text: string; closed: boolean }> {
  const t0 = performance.now();
  const r = await rawExchange(web, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`, 4000);
  return { ms: performance.now() - t0, text: r.text, closed: r.closed };
}

test("a pool's idle_timeout_ms cuts one of its requests stalled mid-body (the listener's 60 s does not apply)", async () => {
  const r = await timed("/pool-idle");
  expect(r.text.startsWith("HTTP/1.1 200")).toBe(true);
  expect(r.closed).toBe(true);
  expect(r.ms).toBeGreaterThanOrEqual(1500 - 250); // whole-deadline sweep: up to one tick early in wall time
  expect(r.ms).toBeLessThan(1500 + LATE_MS);
});

test("a route's idle_timeout_ms beats its pool's", async () => {
  const r = await timed("/route-idle");
  expect(r.text.startsWith("HTTP/1.1 200")).toBe(true);
  expect(r.closed).toBe(true);
  expect(r.ms).toBeLessThan(300 + LATE_MS); // the pool's 1500 ms would be at least 1250
});

test.skipIf(!Bun.which("python3"))("a route's connect_timeout_ms beats its pool's: 504 UPSTREAM_TIMEOUT sooner", async () => {
  const fast = await timed("/fast-connect");
  expect(fast.text).toStartWith("HTTP/1.1 504");
  expect(fast.text.toLowerCase()).toContain("x-fulcrum-error: upstream_timeout");
  expect(fast.ms).toBeGreaterThanOrEqual(280);
  expect(fast.ms).toBeLessThan(1000);
  const slow = await timed("/slow-connect");
  expect(slow.text).toStartWith("HTTP/1.1 504");
  expect(slow.ms).toBeGreaterThanOrEqual(1400);
});

test("the timeouts are accepted on pools and routes, and a bad value is a 400 naming the field", async () => {
  const bad = await fetch(`${n.node.url}/v1/pools`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "x", idle_timeout_ms: -5, backends: [] }),
  });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(await bad.json())).toContain("idle_timeout_ms");
});
