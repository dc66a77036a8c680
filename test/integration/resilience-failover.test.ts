/**
 * Issue 7, end to end through `fulcrum start`: a backend killed under steady load costs clients
 * nothing (retries on connect_failure/reset), the active check notices within
 * interval × unhealthy_threshold + timeout, and once restarted on the same port the backend
 * returns after healthy_threshold passes and ramps up over slow_start_ms. Run over HTTP/1.1 and
 * over HTTP/2 clients, one after the other against the same node.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { describeFailures, failures, runLoad } from "./helpers-resilience/load.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";
import { CODECS, closeCodecs, sender } from "./helpers/codecs.ts";

const INTERVAL = 200;
const TIMEOUT = 200;
const UNHEALTHY_THRESHOLD = 2;
const SLOW_START = 2000;
// A busy 2-core box runs probes late: one extra interval plus scheduling slack.
const SLACK = INTERVAL + 500;

let backends: TestBackend[];
let node: ResilienceNode;
let port = 0;

beforeAll(async () => {
  backends = ["b0", "b1", "b2"].map((t) => startBackend(t));
  node = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
        routes: [{ name: "all", match: { path_prefix: "/" }, retries: { attempts: 2, on: ["connect_failure", "reset"] } }],
      },
    ],
    pools: [
      {
        name: "app", algorithm: "weighted_round_robin", slow_start_ms: SLOW_START,
        health_check: {
          type: "http", path: "/healthz", interval_ms: INTERVAL, unhealthy_interval_ms: 100, timeout_ms: TIMEOUT,
          healthy_threshold: 2, unhealthy_threshold: UNHEALTHY_THRESHOLD,
        },
        backends: backends.map((b) => ({ address: b.address })),
      },
    ],
  });
  port = await node.port("web");
});

afterAll(async () => {
  closeCodecs();
  await node?.stop();
  backends?.forEach((b) => b.kill());
});

for (const codec of CODECS) test(`a backend killed under load: no client-visible failure, detected in time, back with a slow-start ramp (${codec.name})`, async () => {
  const victim = backends[0]!;
  let killedAt = 0;
  let detectedAfter = -1;
  let restartedAt = 0;
  let healthyAt = 0;
  const load = runLoad(`http://127.0.0.1:${port}/`, { clients: 4, durationMs: 5200, maxRequests: 40_000, send: sender(codec) });
  const t0 = performance.now();
  const script = (async () => {
    await Bun.sleep(600);
    victim.kill();
    killedAt = performance.now() - t0;
    detectedAfter = await until(async () => (await node.backend("app", victim.address))?.health === "unhealthy", 5000, 10);
    await Bun.sleep(200);
    victim.restart();
    restartedAt = performance.now() - t0;
    await until(async () => (await node.backend("app", victim.address))?.health === "healthy", 3000, 10);
    healthyAt = performance.now() - t0;
  })();
  const [{ samples }] = await Promise.all([load, script]);

  expect(samples.length).toBeGreaterThan(200);
  expect(failures(samples).length, describeFailures(samples)).toBe(0);
  expect(detectedAfter).toBeGreaterThanOrEqual(0);
  expect(detectedAfter).toBeLessThanOrEqual(INTERVAL * UNHEALTHY_THRESHOLD + TIMEOUT + SLACK);
  // healthy_threshold (2) passes at the unhealthy interval (100 ms) bring it back quickly.
  expect(healthyAt - restartedAt).toBeLessThan(1500);
  expect(killedAt).toBeGreaterThan(0);

  // Slow start: over the ramp window the victim's share of answers grows from the first to the
  // last third (default weights 1:1:1; the ramp starts at 10% of its weight).
  const windowStart = healthyAt;
  const third = (healthyAt + SLOW_START - windowStart) / 3;
  const share = (from: number, to: number) => {
    const inWindow = samples.filter((s) => s.t >= from && s.t < to && s.status === 200);
    return inWindow.filter((s) => s.body === victim.tag).length / Math.max(1, inWindow.length);
  };
  const early = share(windowStart, windowStart + third);
  const late = share(windowStart + 2 * third, windowStart + 3 * third);
  expect(late).toBeGreaterThan(early);
  expect(early).toBeLessThan(0.25);
  expect(late).toBeGreaterThan(0.2);
}, 15_000);
