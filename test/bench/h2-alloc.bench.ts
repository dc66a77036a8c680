/**
 * Allocation per proxied HTTP/2 request (issue 15's speed figure is CPU and p99 per h2 request; GC
 * pauses make the p99): a real node of one worker, h2load over h2c prior knowledge (8 connections,
 * 10 streams each, as the h2 bench multiplexes) through an http listener to an HTTP/1.1 backend
 * with a 128-byte answer; bytes per request from the JS heap of a node that never collects
 * (tail/alloc.ts). Env: ALLOC_REQUESTS (20,000). About 10 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasBinary } from "../l4/helpers/peers.ts";
import { fixedBackend } from "../helpers/load.ts";
import { killAll, startFulcrum } from "../helpers/process.ts";
import { envNumber, type Report } from "./harness.ts";
import { ALLOC_BUN_ARGS, ALLOC_ENV, heapCapacity } from "./tail/alloc.ts";

/** Runs `requests` GETs with h2load; throws unless every one succeeded. */
export async function h2loadRequests(port: number, requests: number, connections = 8, streams = 10): Promise<void> {
  const p = Bun.spawn(["h2load", "-n", String(requests), "-c", String(connections), "-m", String(streams), "-t", "1", `http://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  if (!out.includes(`${requests} succeeded`)) throw new Error(`h2load: not every request succeeded:\n${out}`);
}

export async function run(report: Report): Promise<void> {
  if (!hasBinary("h2load")) {
    console.log("  (skipped: h2load is needed)");
    return;
  }
  const requests = envNumber("ALLOC_REQUESTS", 20_000);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-h2-alloc-bench-"));
  const backend = fixedBackend("x".repeat(128));
  try {
    const config = join(dir, "h2.json");
    writeFileSync(config, JSON.stringify({
      listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
      pools: [{ name: "app", backends: [{ address: `127.0.0.1:${backend.port}` }] }],
    }));
    const node = await startFulcrum(["--config", config, "--db", ":memory:", "--workers", "1"], ALLOC_ENV, ALLOC_BUN_ARGS);
    const port = Number((await node.waitFor(/listener web \(http\) on 127\.0\.0\.1:(\d+)/))[1]);
    await h2loadRequests(port, 5_000); // upstream connections dialled, code compiled
    const before = await heapCapacity(node);
    await h2loadRequests(port, requests);
    const after = await heapCapacity(node);
    // h2load's 8 connections (their codec, session and buffers) count in the window too
    report({ name: "alloc h2c GET (-c 8 -m 10), per request", value: (after - before) / requests, unit: "B/req" });
    await node.kill("SIGTERM");
  } finally {
    await killAll();
    backend.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
}
