/**
 * Issue 7, "a config change through the admin API under load loses no request and no
 * connection", end to end: keep-alive clients send GETs back to back while the admin API adds a
 * backend, changes the algorithm, adds a response header to the route, removes a backend (with a
 * request in flight on it) and replaces the whole document; every response is a 200 and every
 * connection stays open.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { echoBackend } from "../l4/helpers/backends.ts";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { keepAliveRun } from "./helpers-resilience/keepalive.ts";
import { startNode, type ResilienceNode } from "./helpers-resilience/node.ts";

let backends: TestBackend[];
const echoes = [echoBackend("e0|"), echoBackend("e1|")];
let node: ResilienceNode;
let port = 0;
let tcpPort = 0;

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
    listeners: [listener(), { name: "tcp-in", protocol: "tcp", address: "127.0.0.1:0", pool: "echo" }],
    pools: [
      { name: "app", algorithm: "round_robin", backends: backends.slice(0, 3).map((b) => ({ address: b.address })) },
      { name: "echo", algorithm: "round_robin", backends: echoes.map((e) => ({ address: `127.0.0.1:${e.port}` })) },
    ],
  });
  port = await node.port("web");
  tcpPort = await node.port("tcp-in");
});

afterAll(async () => {
  await node?.stop();
  backends?.forEach((b) => b.kill());
  echoes.forEach((e) => e.stop(true));
});

/** A TCP connection through the tcp listener that echoes a line every 50 ms; reports what came back. */
function heldTcp(ms: number): Promise<{ sent: number; echoed: string; closed: boolean }> {
  return new Promise((resolve) => {
    let echoed = "";
    let sent = 0;
    let closed = false;
    void Bun.connect({
      hostname: "127.0.0.1",
      port: tcpPort,
      socket: {
        open(s) {
          const timer = setInterval(() => void s.write(`m${sent++};`), 50);
          setTimeout(() => {
            clearInterval(timer);
            setTimeout(() => { const c = closed; s.end(); resolve({ sent, echoed, closed: c }); }, 200);
          }, ms);
        },
        data: (_s, d) => void (echoed += d.toString()),
        close: () => void (closed = true),
      },
    });
  });
}

test("admin changes during a bounded load run: zero failed requests, no dropped connection", async () => {
  const held = heldTcp(2800);
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
  const doc = (await (await node.admin("GET", "/v1/config")).json()) as any;
  doc.pools[0].algorithm = "power_of_two";
  delete doc.pools[0].hash_on;
  delete doc.pools[0].table_size;
  doc.listeners[0].routes[0].response_headers = { set: { "x-revision-marker": "three" } };
  doc.pools[1].algorithm = "least_connections";
  doc.pools[1].backends.push({ address: `127.0.0.1:${backends[3]!.port}` });
  await step("PUT", "/v1/config", doc);
  const results = await Promise.all(runs);

  // The L4 connection opened before the changes kept its backend and every byte.
  const tcp = await held;
  expect(tcp.closed).toBe(false);
  const tag = tcp.echoed.slice(0, 4);
  expect(["e0|m", "e1|m"]).toContain(tag);
  expect(tcp.echoed.replaceAll(tag.slice(0, 3), "")).toBe(Array.from({ length: tcp.sent }, (_, i) => `m${i};`).join(""));

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
