/**
 * Allocation per proxied request (issue 17) of a real node: started with the garbage collector
 * off (BUN_JSC_useGC=0), its JS heap's capacity grows by exactly what it allocates (objects,
 * strings, small buffers' storage; measured: `{i}` 33 B, a 100-byte Buffer 164 B, a 1,000-byte one
 * 1.3 KB; Buffers of a few KB live outside the heap, in malloc, and do not show). A preload
 * (heap-mark-preload.ts) writes the capacity on SIGWINCH; two marks around a known number of
 * requests give the bytes per request. The node's own idle work in the window counts too (a few
 * KB a second).
 */
import { join } from "node:path";
import { keepAliveLoad } from "../../helpers/load.ts";
import type { StartedNode } from "../../helpers/process.ts";

/** Environment and Bun flags for a node whose allocation is measured (never collects: short runs only). */
export const ALLOC_ENV = { BUN_JSC_useGC: "0" };
export const ALLOC_BUN_ARGS = ["--preload", join(import.meta.dir, "..", "..", "helpers", "heap-mark-preload.ts")];

/** Sends SIGWINCH and resolves with the heap capacity the node wrote back. */
export async function heapCapacity(node: StartedNode): Promise<number> {
  const seen = node.stderr().split("HEAP-CAPACITY ").length;
  process.kill(node.pid, "SIGWINCH");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const parts = node.stderr().split("HEAP-CAPACITY ");
    if (parts.length > seen) return Number.parseInt(parts[seen]!, 10);
    if (Date.now() > deadline) throw new Error("no HEAP-CAPACITY line within 10 s (is the preload loaded?)");
    await Bun.sleep(5);
  }
}

export interface AllocFigure {
  bytesPerRequest: number;
  requests: number;
}

/**
 * Bytes allocated per request by `node` (started with ALLOC_ENV and ALLOC_BUN_ARGS) over
 * `requests` keep-alive GETs to `port` on `connections` connections (each opened once), after
 * `warmup` of them (upstream connections dialled, code compiled).
 */
export async function allocPerRequest(node: StartedNode, port: number, opts: { requests: number; connections?: number; warmup?: number }): Promise<AllocFigure> {
  const connections = opts.connections ?? 8;
  const warm = await keepAliveLoad(port, { requests: opts.warmup ?? 2_000, connections, timeoutMs: 60_000 });
  if (warm.failed > 0) throw new Error(`warm-up: ${warm.failed} requests failed`);
  const before = await heapCapacity(node);
  const run = await keepAliveLoad(port, { requests: opts.requests, connections, timeoutMs: 120_000 });
  const after = await heapCapacity(node);
  if (run.failed > 0) throw new Error(`${run.failed} of ${opts.requests} requests failed`);
  return { bytesPerRequest: (after - before) / opts.requests, requests: opts.requests };
}
