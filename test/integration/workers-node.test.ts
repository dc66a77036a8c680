/**
 * Issue 14: a node of 2 workers is one node. wrk's connections are served by both workers and the
 * node's counters add up to what wrk did; a config write, a SIGHUP reload and a health verdict
 * reach every worker before /v1/status reports them (requests on fresh connections, so on any
 * worker, see the change the moment status shows it).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TCPSocketListenOptions } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { killAll, runFulcrum, startFulcrum, type StartedNode } from "../helpers/process.ts";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { rawGet } from "./helpers-resilience/raw-get.ts";
import { metric, removeTempDirs, tempDir, until } from "./helpers/l7-node.ts";
import { startWrk } from "./helpers/wrk-load.ts";

let backends: TestBackend[];
let node: StartedNode;
const dir = tempDir();
const file = join(dir, "node.json");
let port = 0;

function config(appBackend: TestBackend) {
  return {
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" },
      { name: "checked", protocol: "http", address: "127.0.0.1:0", pool: "checked" },
    ],
    pools: [
      { name: "app", backends: [{ address: appBackend.address }] },
      {
        name: "checked",
        health_check: { type: "http", path: "/healthz", interval_ms: 50, unhealthy_interval_ms: 50, timeout_ms: 50, healthy_threshold: 1, unhealthy_threshold: 1 },
        backends: backends.slice(3).map((b) => ({ address: b.address })),
      },
    ],
  };
}

const status = async (): Promise<any> => await (await fetch(`${node.url}/v1/status`)).json();
const metrics = async (): Promise<string> => await (await fetch(`${node.url}/metrics`)).text();
const portOf = (st: any, name: string) => Number(st.listeners.find((l: any) => l.name === name).address.split(":").pop());

/** The bodies of `count` GETs, each on a fresh connection (so spread over the workers). */
async function tags(p: number, count: number): Promise<Set<string>> {
  const bodies = await Promise.all(Array.from({ length: count }, () => rawGet(p, "/", "127.0.0.1", 5000)));
  return new Set(bodies.map((r) => r.body));
}

beforeAll(async () => {
  backends = ["b0", "b1", "b2", "h0", "h1"].map((t) => startBackend(t));
  writeFileSync(file, JSON.stringify(config(backends[0]!)));
  node = await startFulcrum(["--config", file, "--db", join(dir, "node.db"), "--workers", "2"]);
  port = portOf(await status(), "web");
});

afterAll(async () => {
  await killAll();
  backends?.forEach((b) => b.kill());
  removeTempDirs();
});

test("/v1/status says which node serves: its version, pid, start time and workers", async () => {
  const st = await status();
  expect(st.node.pid).toBe(node.pid);
  expect(st.node.workers).toBe(2);
  expect(st.node.version).toMatch(/^\d+\.\d+\.\d+/);
  expect(Date.now() - Date.parse(st.node.started_at)).toBeLessThan(60_000);
  expect(st.node.worker_states.map((w: any) => [w.worker, w.up, w.revision, w.restarts])).toEqual([[0, true, st.revision, 0], [1, true, st.revision, 0]]);
});

test("wrk through 2 workers: both serve, and the node's counters add up to wrk's requests", async () => {
  const before = await status();
  const base = before.listeners.find((l: any) => l.name === "web").traffic?.requests ?? 0;
  const wrk = await startWrk(port, 1, 16);
  expect(wrk.non2xx + wrk.connectErrors + wrk.readErrors + wrk.timeouts).toBe(0);
  const m = await metrics();
  const byWorker = [0, 1].map((w) => metric(m, `fulcrum_worker_requests_total{worker="${w}"}`));
  expect(byWorker.every((v) => v > 0)).toBe(true);
  const st = await status();
  const served = st.listeners.find((l: any) => l.name === "web").traffic.requests - base;
  // wrk counts the responses it read; a request in flight when it stopped was served all the same.
  expect(served).toBeGreaterThanOrEqual(wrk.requests);
  expect(served).toBeLessThanOrEqual(wrk.requests + 16);
  const backend = st.pools.find((p: any) => p.name === "app").backends[0];
  expect(backend.requests_total - base).toBe(served);
  expect(byWorker[0]! + byWorker[1]!).toBe(st.listeners.find((l: any) => l.name === "web").traffic.requests);
});

test("a config write answers once every worker serves it: the next requests all see it", async () => {
  const res = await fetch(`${node.url}/v1/pools/app`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "app", backends: [{ address: backends[1]!.address }] }),
  });
  expect(res.status).toBe(200);
  const { revision } = (await res.json()) as { revision: number };
  expect((await status()).revision).toBe(revision);
  expect([...(await tags(port, 20))]).toEqual(["b1"]);
});

test("a SIGHUP reload reaches every worker before status reports its revision", async () => {
  const was = (await status()).revision;
  writeFileSync(file, JSON.stringify(config(backends[2]!)));
  process.kill(node.pid, "SIGHUP");
  await until(async () => (await status()).revision > was, 5000);
  expect([...(await tags(port, 20))]).toEqual(["b2"]);
});

test("a health verdict reaches every worker before status shows it", async () => {
  const checked = portOf(await status(), "checked");
  const h0 = backends[3]!;
  h0.healthStatus = () => 503;
  await until(async () => (await status()).pools.find((p: any) => p.name === "checked").backends.find((b: any) => b.address === h0.address).health === "unhealthy", 5000);
  expect([...(await tags(checked, 20))]).toEqual(["h1"]);
  h0.healthStatus = () => 200;
  await until(async () => (await status()).pools.find((p: any) => p.name === "checked").backends.every((b: any) => b.health === "healthy"), 5000);
  expect((await tags(checked, 30)).has("h0")).toBe(true);
});

test("a write right after start is not refused for the addresses the workers hold", async () => {
  const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const fixed = free.port;
  free.stop(true);
  const d = tempDir();
  writeFileSync(join(d, "fixed.json"), JSON.stringify({
    listeners: [{ name: "fixed", protocol: "http", address: `127.0.0.1:${fixed}`, pool: "app" }],
    pools: [{ name: "app", backends: [{ address: backends[0]!.address }] }],
  }));
  const other = await startFulcrum(["--config", join(d, "fixed.json"), "--db", join(d, "fixed.db"), "--workers", "2"]);
  const res = await fetch(`${other.url}/v1/pools/app`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "app", backends: [{ address: backends[1]!.address }] }),
  });
  expect(res.status).toBe(200);
  expect([...(await tags(fixed, 10))]).toEqual(["b1"]);
});

test("a stored listener whose port another process holds, even with reusePort, stops the start: the workers never share it", async () => {
  const d = tempDir();
  const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = free.port;
  free.stop(true);
  writeFileSync(join(d, "held.json"), JSON.stringify({
    listeners: [{ name: "held", protocol: "http", address: `127.0.0.1:${port}`, pool: "app" }],
    pools: [{ name: "app", backends: [{ address: backends[0]!.address }] }],
  }));
  const first = await startFulcrum(["--config", join(d, "held.json"), "--db", join(d, "held.db"), "--workers", "1"]);
  await first.kill("SIGKILL");
  // reusePort is missing from bun-types (BUN-NOTES "Sockets")
  const squatter = Bun.listen({ hostname: "127.0.0.1", port, reusePort: true, socket: { data() {} } } as unknown as TCPSocketListenOptions<undefined>);
  try {
    const r = await runFulcrum(["start", "--db", join(d, "held.db"), "--admin", "127.0.0.1:0", "--workers", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port}, EADDRINUSE`);
  } finally {
    squatter.stop(true);
  }
});
