import { afterAll, expect } from "bun:test";
import { WorkerHealthChecker } from "../../src/health/index.ts";
import { runCheckerContract, type Flip } from "./checker.contract.ts";

const fallbacks: string[] = [];
const checkers: WorkerHealthChecker[] = [];

afterAll(() => {
  checkers.forEach((c) => c.stop());
  // Every check ran in the Worker: none fell back to this thread.
  expect(fallbacks).toEqual([]);
});

/** A worker-backed checker; the view refreshes every 50 ms so tests need not wait 500 ms for it. */
runCheckerContract("WorkerHealthChecker (probes in a Worker)", () => {
  const flips: Flip[] = [];
  const checker = new WorkerHealthChecker(
    (pool, backend, healthy) => flips.push({ pool, backend, healthy, at: performance.now() }),
    undefined,
    { viewMs: 50, passMs: 20, onFallback: (r) => fallbacks.push(r) },
  );
  checkers.push(checker);
  return { flips, checker };
});
