/**
 * Preloaded into a node (`bun --preload`) by tests and benches that measure allocation per request
 * (test/bench/tail/alloc.ts): on SIGWINCH (SIGUSR2 is the node's upgrade) it writes `HEAP-CAPACITY <bytes>` (the main thread's JSC
 * heap capacity) to stderr. Run with BUN_JSC_useGC=0, nothing is ever collected, so the capacity
 * grows by what the program allocates.
 */
import { heapStats } from "bun:jsc";

process.on("SIGWINCH", () => {
  process.stderr.write(`HEAP-CAPACITY ${heapStats().heapCapacity}\n`);
});
