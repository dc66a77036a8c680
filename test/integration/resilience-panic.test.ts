/**
 * Issue 7, panic mode end to end: when fewer than panic_threshold percent of a pool's backends are
 * healthy, traffic goes over all of them rather than overload the few; panic_threshold 0 turns it
 * off, so only healthy backends serve and a pool with none answers 503 NO_HEALTHY_BACKEND.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

let panicking: TestBackend[];
let strict: TestBackend[];
let node: ResilienceNode;
let panicPort = 0;
let strictPort = 0;

/** Four backends whose checks fail except the first's (25% healthy, under the default 50%). */
function four(prefix: string): TestBackend[] {
  const bs = [0, 1, 2, 3].map((i) => startBackend(`${prefix}${i}`));
  for (const b of bs.slice(1)) b.healthStatus = () => 503;
  return bs;
}

const check = { type: "http", path: "/healthz", interval_ms: 100, timeout_ms: 100, healthy_threshold: 1, unhealthy_threshold: 1 };

beforeAll(async () => {
  panicking = four("p");
  strict = four("s");
  node = await startNode({
    listeners: [
      { name: "panics", protocol: "http", address: "127.0.0.1:0", pool: "panics" },
      { name: "strict", protocol: "http", address: "127.0.0.1:0", pool: "strict" },
    ],
    pools: [
      { name: "panics", algorithm: "round_robin", health_check: check, backends: panicking.map((b) => ({ address: b.address })) },
      { name: "strict", algorithm: "round_robin", panic_threshold: 0, health_check: check, backends: strict.map((b) => ({ address: b.address })) },
    ],
  });
  panicPort = await node.port("panics");
  strictPort = await node.port("strict");
  // Wait until the checks have marked the three failing backends of each pool unhealthy.
  await until(async () => {
    const st = await node.status();
    return st.pools.every((p: any) => p.backends.filter((b: any) => b.health === "unhealthy").length === 3);
  }, 5000);
  // Health flips rebuild the pool after a short coalescing delay.
  await Bun.sleep(300);
});

afterAll(async () => {
  await node?.stop();
  [...(panicking ?? []), ...(strict ?? [])].forEach((b) => b.kill());
});

async function tags(port: number, n: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const key = res.status === 200 ? await res.text() : `${res.status} ${res.headers.get("x-fulcrum-error")}`;
    if (res.status !== 200) await res.text();
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

test("below the panic threshold, traffic spreads over every backend, healthy or not", async () => {
  const seen = await tags(panicPort, 20);
  expect([...seen.keys()].sort()).toEqual(["p0", "p1", "p2", "p3"]);
});

test("panic_threshold 0: only the healthy backend serves", async () => {
  const seen = await tags(strictPort, 20);
  expect([...seen.entries()]).toEqual([["s0", 20]]);
});

test("panic_threshold 0 with no healthy backend: 503 NO_HEALTHY_BACKEND", async () => {
  strict[0]!.healthStatus = () => 503;
  await until(async () => (await node.backend("strict", strict[0]!.address))?.health === "unhealthy", 3000);
  let seen = new Map<string, number>();
  // The rebuild after the flip is coalesced: allow it a moment.
  await until(async () => {
    seen = await tags(strictPort, 5);
    return seen.get("503 NO_HEALTHY_BACKEND") === 5;
  }, 2000);
  expect([...seen.entries()]).toEqual([["503 NO_HEALTHY_BACKEND", 5]]);
  // Panic mode with every backend unhealthy still serves from all of them.
  for (const b of panicking) b.healthStatus = () => 503;
  await until(async () => (await node.status()).pools.find((p: any) => p.name === "panics").backends.every((b: any) => b.health === "unhealthy"), 3000);
  await Bun.sleep(300);
  expect((await tags(panicPort, 8)).size).toBe(4);
}, 10_000);
