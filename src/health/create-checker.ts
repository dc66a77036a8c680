/** Picks where active health checks run: in a Worker (the default) or on the data-plane thread. */
import { HealthChecker, type OnFlip } from "./checker.ts";
import { type ActiveHealthChecker, type WorkerCheckerOptions, WorkerHealthChecker } from "./worker-checker.ts";

/**
 * The checker the data plane should use: probes in a Worker, or on this thread when Workers are
 * unavailable (`offThread: false` forces that).
 */
export function createHealthChecker(
  onFlip: OnFlip,
  onPass?: (pool: string, backend: string) => void,
  opts: WorkerCheckerOptions & { offThread?: boolean } = {},
): ActiveHealthChecker {
  if (opts.offThread === false) return new HealthChecker(onFlip, onPass);
  return new WorkerHealthChecker(onFlip, onPass, opts);
}
