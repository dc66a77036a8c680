/**
 * Messages between the data-plane thread (`WorkerHealthChecker`) and the health-check Worker
 * (`check-worker.ts`). Every message from the worker carries `seq`, the last command it applied:
 * the main thread drops results about a backend incarnation newer than what the worker had seen,
 * so a result that was in flight across a reconcile never lands on a fresh backend.
 */
import type { CheckSpec } from "./types.ts";

/** Main → worker. Commands are numbered; the worker applies them in order. */
export type ToWorker =
  | { t: "init"; flipMs: number; passMs: number; viewMs: number }
  | { t: "set"; seq: number; pool: string; spec: CheckSpec | undefined; backends: readonly string[] }
  | { t: "remove"; seq: number; pool: string };

/** One flip, as the in-thread checker's `onFlip` arguments. */
export type FlipRecord = [pool: string, backend: string, healthy: boolean, reason: string | undefined];

/** Worker → main. */
export type FromWorker =
  | { t: "flips"; seq: number; flips: FlipRecord[] }
  /** Backends that passed at least one probe since the last batch, per pool. */
  | { t: "passes"; seq: number; passes: [pool: string, backends: string[]][] }
  /** Every checked backend's probe count and last error. */
  | { t: "view"; seq: number; view: [pool: string, backend: string, checks: number, lastError: string | undefined][] };
