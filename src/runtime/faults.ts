/**
 * Fault injection for tests of a node's workers, off unless the node was started with
 * FULCRUM_TEST_FAULTS=1: a request carrying `x-fulcrum-test-fault: exit-worker` ends the worker
 * thread that reads it at once, as a crash would (no drain, no cleanup: its connections drop, its
 * sockets close). The only way to kill one thread of a process from outside, which is what the
 * restart tests need. Costs one boolean test per request when off.
 */
export const FAULT_HEADER = "x-fulcrum-test-fault";

export const faults = { enabled: false };

/** Ends this worker thread the way a crash would. */
export function exitWorker(): never {
  process.exit(70);
}
