/**
 * Issue 7, process lifecycle end to end: SIGTERM with requests in flight turns /readyz 503 at
 * once, stops taking new connections, lets the in-flight requests finish with 200 and exits 0
 * within the drain timeout.
 */
import { afterAll, expect, test } from "bun:test";
import net from "node:net";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { rawGet } from "./helpers-resilience/raw-get.ts";
import { startNode, type ResilienceNode } from "./helpers-resilience/node.ts";
import { until } from "./helpers/l7-node.ts";

const SLOW_MS = 1000;
const DRAIN_MS = 4000;
let backend: TestBackend | undefined;
let node: ResilienceNode | undefined;

afterAll(async () => {
  await node?.stop();
  backend?.kill();
});

/** Resolves true when a TCP connection to `port` is accepted, false when refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => (s.destroy(), resolve(false)), 1000);
    s.on("connect", () => (clearTimeout(timer), s.destroy(), resolve(true)));
    s.on("error", () => (clearTimeout(timer), resolve(false)));
  });
}

test("SIGTERM: /readyz 503 at once, in-flight requests finish with 200, new connections refused, exit 0", async () => {
  backend = startBackend("slow");
  backend.delayMs = SLOW_MS;
  node = await startNode(
    {
      listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
      pools: [{ name: "app", backends: [{ address: backend.address }] }],
    },
    ["--drain-timeout-ms", String(DRAIN_MS)],
  );
  const port = await node.port("web");
  expect((await fetch(`${node.url}/readyz`)).status).toBe(200);

  const t0 = performance.now();
  const inflight = [0, 1, 2].map(() => rawGet(port, "/", "127.0.0.1", SLOW_MS + DRAIN_MS));
  await Bun.sleep(200);
  expect(backend.hits).toBe(3);
  process.kill(node.proc.pid, "SIGTERM");
  const signalledAt = performance.now();

  // /readyz is 503 straight away (first poll, allowing only for the signal to be delivered).
  let ready = 200;
  for (let i = 0; i < 10 && ready === 200; i++) {
    ready = (await fetch(`${node.url}/readyz`)).status;
    if (ready === 200) await Bun.sleep(10);
  }
  expect(ready).toBe(503);
  expect(performance.now() - signalledAt).toBeLessThan(500);
  // The listener no longer takes connections while the old ones drain.
  expect(await accepts(port)).toBe(false);

  const results = await Promise.all(inflight);
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(results.map((r) => r.body)).toEqual(["slow", "slow", "slow"]);

  const code = await node.proc.exited;
  const exitedAfter = performance.now() - signalledAt;
  expect(code).toBe(0);
  // Exits once the in-flight work is done, not at the end of the drain timeout.
  expect(exitedAfter).toBeLessThan(DRAIN_MS);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(SLOW_MS);
  expect(await accepts(port)).toBe(false);
}, 15_000);

test("SIGTERM: work that outlives the drain timeout does not hold the process: exit 0 at the timeout", async () => {
  const stuck = startBackend("stuck");
  stuck.delayMs = 5000;
  const short = await startNode(
    {
      listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
      pools: [{ name: "app", backends: [{ address: stuck.address }] }],
    },
    ["--drain-timeout-ms", "600"],
  );
  try {
    const port = await short.port("web");
    const pending = rawGet(port, "/", "127.0.0.1", 6000).catch((e) => e as Error);
    await until(() => stuck.hits === 1, 5000); // in flight at the backend (a fixed sleep raced a loaded machine)
    expect(stuck.hits).toBe(1);
    const t = performance.now();
    process.kill(short.proc.pid, "SIGTERM");
    expect(await short.proc.exited).toBe(0);
    const took = performance.now() - t;
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(600 + 1500);
    await pending;
  } finally {
    await short.stop();
    stuck.kill();
  }
}, 10_000);
