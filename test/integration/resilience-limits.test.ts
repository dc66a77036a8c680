/**
 * Issue 7, overload protection end to end: the circuit breaker's max_requests overflows fast with
 * 503 `x-fulcrum-error: OVERFLOW` (no queueing), and the listener's token bucket answers 429 with
 * Retry-After per client address while other clients keep being served.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { rawGet } from "./helpers-resilience/raw-get.ts";
import { startNode, type ResilienceNode } from "./helpers-resilience/node.ts";

const SLOW_MS = 800;
let slow: TestBackend[];
let fast: TestBackend;
let node: ResilienceNode;
let breakerPort = 0;
let limitedPort = 0;

beforeAll(async () => {
  slow = ["s0", "s1"].map((t) => startBackend(t));
  for (const b of slow) b.delayMs = SLOW_MS;
  fast = startBackend("f0");
  node = await startNode({
    listeners: [
      { name: "guarded", protocol: "http", address: "127.0.0.1:0", pool: "slow" },
      { name: "limited", protocol: "http", address: "127.0.0.1:0", pool: "fast", rate_limit: { rps: 2, burst: 4 } },
    ],
    pools: [
      { name: "slow", algorithm: "round_robin", circuit_breaker: { max_requests: 2 }, backends: slow.map((b) => ({ address: b.address })) },
      { name: "fast", algorithm: "round_robin", backends: [{ address: fast.address }] },
    ],
  });
  breakerPort = await node.port("guarded");
  limitedPort = await node.port("limited");
});

afterAll(async () => {
  await node?.stop();
  [...(slow ?? []), fast].forEach((b) => b?.kill());
});

test("max_requests 2 with 10 concurrent slow requests: 2 served, 8 refused at once with OVERFLOW", async () => {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const r = await rawGet(breakerPort, "/");
      return { ...r, ms: performance.now() - t0 };
    }),
  );
  const ok = results.filter((r) => r.status === 200);
  const overflow = results.filter((r) => r.status === 503);
  expect(ok.length).toBe(2);
  expect(overflow.length).toBe(8);
  for (const r of overflow) {
    expect(r.headers["x-fulcrum-error"]).toBe("OVERFLOW");
    // Refused without waiting for a slot: well before the slow backend answers.
    expect(r.ms).toBeLessThan(SLOW_MS / 2);
  }
  for (const r of ok) expect(r.ms).toBeGreaterThanOrEqual(SLOW_MS - 20);
  // Slots come back: the next request after the slow ones is served.
  expect((await rawGet(breakerPort, "/")).status).toBe(200);
}, 10_000);

test("rate limit: a client over its burst gets 429 with Retry-After while another client is served", async () => {
  const first: number[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await rawGet(limitedPort, "/", "127.0.0.2");
    first.push(r.status);
    if (r.status === 429) {
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(r.headers["x-fulcrum-error"]).toBe("RATE_LIMITED");
    }
  }
  // burst 4 at 2 rps: the first four pass; the rest (sent in far less than a second) mostly don't.
  expect(first.slice(0, 4)).toEqual([200, 200, 200, 200]);
  expect(first.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
  // Another address has its own bucket.
  expect((await rawGet(limitedPort, "/", "127.0.0.3")).status).toBe(200);
  // Obeying Retry-After gets the first client served again.
  const limited = await rawGet(limitedPort, "/", "127.0.0.2");
  expect(limited.status).toBe(429);
  await Bun.sleep(Number(limited.headers["retry-after"]) * 1000);
  expect((await rawGet(limitedPort, "/", "127.0.0.2")).status).toBe(200);
}, 10_000);
