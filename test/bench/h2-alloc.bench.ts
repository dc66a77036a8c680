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

/**
 * Bytes of JS heap per h2c GET through a node of one worker (collector off) to the backend on
 * `backendPort`, over `requests` after `warm` unmeasured ones; the node is stopped after. Shared
 * with test/h2/alloc-per-request.test.ts.
 */
export async function h2AllocPerRequest(dir: string, backendPort: number, warm: number, requests: number): Promise<number> {
  const config = join(dir, "h2.json");
  writeFileSync(config, JSON.stringify({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", backends: [{ address: `127.0.0.1:${backendPort}` }] }],
  }));
  const node = await startFulcrum(["--config", config, "--db", ":memory:", "--workers", "1"], ALLOC_ENV, ALLOC_BUN_ARGS);
  try {
    const port = Number((await node.waitFor(/listener web \(http\) on 127\.0\.0\.1:(\d+)/))[1]);
    await h2loadRequests(port, warm); // upstream connections dialled, code compiled
    const before = await heapCapacity(node);
    await h2loadRequests(port, requests);
    // h2load's 8 connections (their codec, session and buffers) count in the window too
    return ((await heapCapacity(node)) - before) / requests;
  } finally {
    await node.kill("SIGKILL");
  }
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
    report({ name: "alloc h2c GET (-c 8 -m 10), per request", value: await h2AllocPerRequest(dir, backend.port, 5_000, requests), unit: "B/req" });
  } finally {
    await killAll();
    backend.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
}
