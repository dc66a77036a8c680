/**
 * Issue 14 through a node of 2 workers: HTTP/2 is served by every worker (h2 by ALPN on an https
 * listener, h2c on an http one, to a pool that speaks h2c to its backend), and SIGTERM drains every
 * worker: requests in flight on both when it arrives are all answered, and the node exits 0.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { run } from "../h2/helpers/run.ts";
import { startH2Server, type H2TestServer } from "../h2/helpers/h2-server.ts";
import { makeCert } from "./https-helpers.ts";
import { rawGet } from "./helpers-resilience/raw-get.ts";
import { backend, metric, removeTempDirs, startNode, tempDir, until, type Backend, type L7Node } from "./helpers/l7-node.ts";
import { rawBackend, type RawBackend } from "./helpers/raw-backend.ts";

const dir = tempDir();

/** Per worker index, the requests it served (fulcrum_worker_requests_total). */
function workerRequests(metrics: string): number[] {
  return [...metrics.matchAll(/^fulcrum_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
}
let be: Backend;
let h2be: H2TestServer;
let slow: RawBackend;

beforeAll(async () => {
  await makeCert(dir, "site", "localhost", "DNS:localhost,IP:127.0.0.1");
  be = backend("h1");
  h2be = startH2Server();
  slow = rawBackend("slow", 1000);
});

afterAll(async () => {
  await killAll();
  be?.stop();
  h2be?.stop();
  slow?.stop();
  removeTempDirs();
});

test("h2 (ALPN) and h2c clients, and an h2c pool, are served by both workers; the node's h2 counters add up", async () => {
  const n: L7Node = await startNode({
    listeners: [
      { name: "tls", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site"] } },
      { name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "up2" },
    ],
    pools: [{ name: "app", backends: [{ address: be.address }] }, { name: "up2", protocol: "h2c", backends: [{ address: `127.0.0.1:${h2be.port}` }] }],
    certificates: [{ name: "site", cert_pem: readFileSync(join(dir, "site.crt"), "utf8"), key_pem: readFileSync(join(dir, "site.key"), "utf8") }],
  }, dir, ["--workers", "2"]);
  for (const [name, url] of [["tls", `https://127.0.0.1:${n.port("tls")}/`], ["plain", `http://127.0.0.1:${n.port("plain")}/`]] as const) {
    const before = workerRequests(await n.metrics());
    // 16 connections: the kernel spreads them over both workers' sockets.
    const r = await run(["h2load", "-n", "640", "-c", "16", "-m", "4", url], 60_000);
    expect(r.stdout).toMatch(/requests: 640 total, 640 started, 640 done, 640 succeeded, 0 failed, 0 errored/);
    const m = await n.metrics();
    const after = workerRequests(m);
    expect(after.filter((v, i) => v > (before[i] ?? 0)).length).toBe(2);
    expect(metric(m, `fulcrum_listener_h2_connections_total{listener="${name}"}`)).toBe(16);
    expect(metric(m, `fulcrum_listener_h2_streams_total{listener="${name}"}`)).toBe(640);
  }
  expect(h2be.counters.streams).toBeGreaterThanOrEqual(640);
}, 90_000);

test("SIGTERM drains every worker: requests in flight on both are answered, then the node exits 0", async () => {
  const n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "slow" }],
    pools: [{ name: "slow", backends: [{ address: slow.address }] }],
  }, dir, ["--workers", "2", "--drain-timeout-ms", "5000"]);
  const port = n.port("web");
  // Each on its own connection, so both workers hold some when the signal comes.
  const inFlight = Array.from({ length: 12 }, () => rawGet(port, "/", "127.0.0.1", 8000));
  await until(() => slow.inFlight === 12, 5000);
  const m = await n.metrics();
  const held = [0, 1].map((w) => metric(m, `fulcrum_worker_connections{worker="${w}"}`));
  expect(held.every((c) => c > 0)).toBe(true);
  const t0 = performance.now();
  const exited = n.node.kill("SIGTERM");
  const answers = await Promise.all(inFlight);
  expect(answers.map((a) => a.status)).toEqual(new Array(12).fill(200));
  expect(await exited).toBe(0);
  // It waited for them (about the backend's second), not for the whole drain timeout.
  expect(performance.now() - t0).toBeLessThan(4500);
  expect(n.node.stdout() + n.node.stderr()).toContain("SIGTERM: draining (up to 5000 ms");
}, 30_000);
