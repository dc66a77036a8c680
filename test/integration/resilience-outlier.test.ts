/**
 * Issue 7, passive health end to end: a backend answering 500s is ejected by outlier detection
 * after consecutive_5xx of them, gets no traffic while ejected, and serves again once its
 * ejection time has run out. Two workers: a keep-alive client is one worker's, which ejects on
 * what it saw, and the node's /v1/status must follow that worker's ejection both ways (an ejection
 * that ends moves no counter: a report of changed counters alone kept it "ejected").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

const EJECTION_MS = 1500;
let backends: TestBackend[];
let checked: TestBackend[];
let node: ResilienceNode;
let port = 0;
let checkedPort = 0;

beforeAll(async () => {
  backends = ["b0", "b1", "b2"].map((t) => startBackend(t));
  checked = ["c0", "c1"].map((t) => startBackend(t));
  node = await startNode({
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" },
      { name: "checked", protocol: "http", address: "127.0.0.1:0", pool: "checked" },
    ],
    pools: [
      {
        name: "checked", algorithm: "round_robin",
        health_check: { type: "http", path: "/healthz", interval_ms: 200, timeout_ms: 200 },
        outlier_detection: { consecutive_5xx: 3, base_ejection_ms: 30_000, max_ejection_percent: 50 },
        backends: checked.map((b) => ({ address: b.address })),
      },
      {
        name: "app", algorithm: "round_robin",
        outlier_detection: { consecutive_5xx: 3, base_ejection_ms: EJECTION_MS, max_ejection_percent: 50 },
        backends: backends.map((b) => ({ address: b.address })),
      },
    ],
  }, ["--workers", "2"]);
  port = await node.port("web");
  checkedPort = await node.port("checked");
});

afterAll(async () => {
  await node?.stop();
  [...(backends ?? []), ...(checked ?? [])].forEach((b) => b.kill());
});

async function get(to = port): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${to}/`);
  return { status: res.status, body: await res.text() };
}

test("a backend answering 500s is ejected and comes back after its ejection time", async () => {
  const bad = backends[0]!;
  bad.status = 500;
  let fives = 0;
  for (let i = 0; i < 30 && fives < 3; i++) if ((await get()).status === 500) fives++;
  expect(fives).toBe(3);
  // Exactly consecutive_5xx answers, each counted once, eject it (not fewer).
  expect((await node.backend("app", bad.address)).requests_total).toBe(3);
  await until(async () => (await node.backend("app", bad.address))?.ejected === true, 1000);
  const ejectedAt = performance.now();

  // While ejected: nothing reaches it, every answer is a 200 from the others.
  const hitsBefore = bad.hits;
  for (let i = 0; i < 30; i++) {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body).not.toBe("b0");
  }
  expect(bad.hits).toBe(hitsBefore);
  expect((await node.backend("app", bad.address)).ejected).toBe(true);

  // Fixed meanwhile; it returns only once the ejection time has run out (plus the 500 ms sweep).
  bad.status = 200;
  const waited = await until(async () => (await node.backend("app", bad.address))?.ejected === false, EJECTION_MS + 2000);
  expect(performance.now() - ejectedAt).toBeGreaterThanOrEqual(EJECTION_MS - 50);
  expect(waited).toBeLessThan(EJECTION_MS + 1500);
  const bodies: string[] = [];
  for (let i = 0; i < 12; i++) bodies.push((await get()).body);
  expect(bodies.filter((b) => b === "b0").length).toBeGreaterThanOrEqual(3);
}, 10_000);

test("a passing active check returns an ejected backend early", async () => {
  const bad = checked[0]!;
  bad.status = 500;
  let fives = 0;
  for (let i = 0; i < 20 && fives < 3; i++) if ((await get(checkedPort)).status === 500) fives++;
  expect(fives).toBe(3);
  // The ejection is seen by its counter: the flag itself may already be down again, since the
  // next passing check (every 200 ms) ends it, and a loaded machine can poll past that window.
  await until(async () => ((await node.backend("checked", bad.address))?.ejections_total ?? 0) >= 1, 3000);
  bad.status = 200;
  // Its /healthz passes all along: the next passing check ends the 30 s ejection.
  const waited = await until(async () => (await node.backend("checked", bad.address))?.ejected === false, 3000);
  expect(waited).toBeLessThan(1500);
  const bodies: string[] = [];
  for (let i = 0; i < 6; i++) bodies.push((await get(checkedPort)).body);
  expect(bodies).toContain("c0");
}, 10_000);
