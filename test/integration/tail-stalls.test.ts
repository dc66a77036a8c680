/**
 * Tail stalls that must not come back (issue 17), through real `fulcrum start` nodes under load:
 * - no timer is armed per request or per connection (every limit is enforced by one sweeper per
 *   listener): a node preloaded with a counter of setTimeout/setInterval calls proxies thousands
 *   of requests and hundreds of fresh tcp connections while the count stays flat;
 * - with the allocator settings every launcher gives Bun (src/cli/allocator-env.ts), a node in
 *   steady state takes next to no page faults per request (mimalloc's defaults: ~0.05-0.3 a
 *   request, each a stall; measured from /proc/PID/stat, all threads).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { procFaults } from "../bench/tail/faults.ts";
import { fixedBackend, keepAliveLoad } from "../helpers/load.ts";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-tail-stalls-"));
const backend = fixedBackend("x".repeat(128));
const config = join(dir, "config.json");

beforeAll(() => {
  writeFileSync(
    config,
    JSON.stringify({
      listeners: [
        { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" },
        { name: "raw", protocol: "tcp", address: "127.0.0.1:0", pool: "app" },
      ],
      pools: [{ name: "app", backends: [{ address: `127.0.0.1:${backend.port}` }] }],
    }),
  );
});

afterAll(async () => {
  await killAll();
  backend.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

async function ports(node: StartedNode): Promise<{ http: number; tcp: number }> {
  const http = Number((await node.waitFor(/listener web \(http\) on 127\.0\.0\.1:(\d+)/))[1]);
  const tcp = Number((await node.waitFor(/listener raw \(tcp\) on 127\.0\.0\.1:(\d+)/))[1]);
  return { http, tcp };
}

describe("timers", () => {
  const countFile = join(dir, "timers");
  const timers = () => Number(readFileSync(countFile, "utf8"));
  /** The count once it has been written after `since` (the preload rewrites it every 20 ms). */
  const settledTimers = async () => (await Bun.sleep(100), timers());

  test("thousands of requests and hundreds of tcp connections arm no timer each", async () => {
    const preload = join(import.meta.dir, "..", "helpers", "timer-count-preload.ts");
    const node = await startFulcrum(["--config", config, "--db", ":memory:"], { FULCRUM_TIMER_COUNT_FILE: countFile }, ["--preload", preload]);
    const p = await ports(node);
    // Warm-up: upstream connections dialled, lazy modules loaded.
    expect(await keepAliveLoad(p.http, { requests: 200, connections: 8 })).toEqual({ ok: 200, failed: 0 });
    expect(await keepAliveLoad(p.tcp, { requests: 40, connections: 8, perConnection: 2 })).toEqual({ ok: 40, failed: 0 });
    const before = await settledTimers();
    expect(await keepAliveLoad(p.http, { requests: 3000, connections: 8 })).toEqual({ ok: 3000, failed: 0 });
    // New connections on both listeners: per-connection timers would show here too.
    expect(await keepAliveLoad(p.http, { requests: 600, connections: 8, perConnection: 2 })).toEqual({ ok: 600, failed: 0 });
    expect(await keepAliveLoad(p.tcp, { requests: 600, connections: 8, perConnection: 2 })).toEqual({ ok: 600, failed: 0 });
    const armed = (await settledTimers()) - before;
    // 3,600 requests over 608 connections: anything per request or connection would arm hundreds.
    expect(armed).toBeLessThan(30);
    expect(await node.kill("SIGTERM")).toBe(0);
  }, 60_000);
});

describe("page faults with the allocator settings", () => {
  /** Faults per request over `requests` requests to `port`. */
  async function faultsPerRequest(node: StartedNode, port: number, requests: number): Promise<number> {
    const before = procFaults(node.pid);
    const r = await keepAliveLoad(port, { requests, connections: 8 });
    expect(r).toEqual({ ok: requests, failed: 0 });
    return (procFaults(node.pid) - before) / requests;
  }

  test("a node started the way tests and launchers start it takes next to no page faults per request in steady state", async () => {
    const node = await startFulcrum(["--config", config, "--db", ":memory:"]);
    const p = await ports(node);
    // A fresh node grows its heaps for the first ~20,000 requests (JIT, GC): warm up first.
    await faultsPerRequest(node, p.http, 20_000);
    await faultsPerRequest(node, p.tcp, 3000);
    // Then ~0.001 a request on tcp, ~0.001-0.02 on http (mimalloc's defaults: ~0.05 and ~0.08-0.2).
    // The best of five windows: a heap still grows in bursts (a window of 0.1-0.3 now and then, on
    // main before and after this bound was set), while mimalloc's defaults fault in every window.
    const best = async (port: number) => {
      const windows = [];
      for (let i = 0; i < 5; i++) windows.push(await faultsPerRequest(node, port, 4000));
      return Math.min(...windows);
    };
    expect(await best(p.tcp)).toBeLessThan(0.02);
    // http: 0.034-0.043 seen under a full parallel suite on 2 cores; still well apart from the defaults' 0.08
    expect(await best(p.http)).toBeLessThan(0.05);
    expect(await node.kill("SIGTERM")).toBe(0);
  }, 90_000);
});
