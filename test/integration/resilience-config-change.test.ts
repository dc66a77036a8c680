/**
 * Issue 7, "a config change through the admin API under load loses no request and no
 * connection", end to end: keep-alive clients send GETs back to back while the admin API adds a
 * backend, changes the algorithm, adds a response header to the route, removes a backend (with a
 * request in flight on it) and replaces the whole document; every response is a 200 and every
 * connection stays open.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { keepAliveRun } from "./helpers-resilience/keepalive.ts";
import { startNode, type ResilienceNode } from "./helpers-resilience/node.ts";

let backends: TestBackend[];
let node: ResilienceNode;
let port = 0;

const listener = (extraHeader?: string) => ({
  name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
  routes: [
    {
      name: "all", match: { path_prefix: "/" },
      ...(extraHeader ? { response_headers: { set: { "x-revision-marker": extraHeader } } } : {}),
    },
  ],
});

beforeAll(async () => {
  backends = ["b0", "b1", "b2", "b3"].map((t) => startBackend(t));
  // A little latency keeps requests in flight while the config moves under them.
  for (const b of backends) b.delayMs = 2;
  node = await startNode({
    listeners: [listener()],
    pools: [{ name: "app", algorithm: "round_robin", backends: backends.slice(0, 3).map((b) => ({ address: b.address })) }],
  });
  port = await node.port("web");
});

afterAll(async () => {
  await node?.stop();
  backends?.forEach((b) => b.kill());
});

test("admin changes during a bounded load run: zero failed requests, no dropped connection", async () => {
  const runs = Array.from({ length: 4 }, () => keepAliveRun(port, "/", 3000));
  const step = async (method: string, path: string, body?: unknown) => {
    await Bun.sleep(350);
    const res = await node.admin(method, path, body);
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  };
  const [b0, , , b3] = backends as [TestBackend, TestBackend, TestBackend, TestBackend];
  await step("POST", "/v1/pools/app/backends", { address: b3.address });
  await step("PATCH", "/v1/pools/app", { algorithm: "least_connections" });
  await step("PUT", "/v1/listeners/web", listener("two"));
  b0.delayMs = 300; // a request is in flight on b0 when it is removed
  await step("DELETE", `/v1/pools/app/backends/${encodeURIComponent(b0.address)}`);
  await step("PATCH", "/v1/pools/app", { algorithm: "maglev", hash_on: "header:x-key" });
  const doc = await (await node.admin("GET", "/v1/config")).json();
  doc.pools[0].algorithm = "power_of_two";
  delete doc.pools[0].hash_on;
  delete doc.pools[0].table_size;
  doc.listeners[0].routes[0].response_headers = { set: { "x-revision-marker": "three" } };
  await step("PUT", "/v1/config", doc);
  const results = await Promise.all(runs);

  let total = 0;
  for (const r of results) {
    expect(r.dropped).toBeUndefined();
    expect([...r.statuses.keys()]).toEqual([200]);
    total += r.bodies.length;
  }
  expect(total).toBeGreaterThan(400);
  const all = results.flatMap((r) => r.bodies);
  const heads = results.flatMap((r) => r.heads);
  // The changes took effect during the run: the added backend served, the route header changed.
  expect(all).toContain("b3");
  expect(heads.some((h) => h.includes("x-revision-marker: two"))).toBe(true);
  expect(heads.some((h) => h.includes("x-revision-marker: three"))).toBe(true);
  // After the removal took effect, b0 served nothing more (the last answers come from the others).
  for (const r of results) expect(r.bodies.slice(-20)).not.toContain("b0");
}, 15_000);
