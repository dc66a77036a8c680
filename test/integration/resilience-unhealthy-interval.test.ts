/**
 * Issue 7, health_check.unhealthy_interval_ms on a real node: with interval_ms 1000 and
 * unhealthy_interval_ms 100, a backend whose /healthz answers 503 is probed about ten times a
 * second once it is unhealthy (not once), and back at the slow pace once it is healthy again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

let sick: TestBackend;
let node: ResilienceNode;

beforeAll(async () => {
  sick = startBackend("sick");
  sick.healthStatus = () => 503;
  node = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [
      {
        name: "app",
        health_check: {
          type: "http", path: "/healthz", interval_ms: 1000, unhealthy_interval_ms: 100, timeout_ms: 500,
          unhealthy_threshold: 1, healthy_threshold: 1, jitter: 0,
        },
        backends: [{ address: sick.address }],
      },
    ],
  });
});

afterAll(async () => {
  await node?.stop();
  sick?.kill();
});

const health = async (): Promise<string> => (await node.backend("app", sick.address))?.health;

/** Probes the backend receives over `ms`. */
async function probesOver(ms: number): Promise<number> {
  const p0 = sick.probes;
  await Bun.sleep(ms);
  return sick.probes - p0;
}

test("an unhealthy backend is probed at unhealthy_interval_ms, a healthy one at interval_ms", async () => {
  await until(async () => (await health()) === "unhealthy", 5000);
  // 100 ms apart (plus each probe's own time): ~10 in a second; interval_ms alone would give ~1
  const fast = await probesOver(1000);
  expect(fast).toBeGreaterThanOrEqual(5);
  expect(fast).toBeLessThanOrEqual(12);

  sick.healthStatus = () => 200;
  await until(async () => (await health()) === "healthy", 3000);
  // let the probe that found it healthy pass, then count at the slow pace
  await Bun.sleep(100);
  const slow = await probesOver(1500);
  expect(slow).toBeGreaterThanOrEqual(1);
  expect(slow).toBeLessThanOrEqual(2);
}, 15_000);
