/**
 * Control part: the node's counters gathered from its workers (WorkerSet.collect, merged by
 * NodeStats) for the reads that need them fresh (/v1/status, /metrics, the history answer) and for
 * the stats history's sample once a second, both kept off the way of config hand-outs.
 *
 * Gathering has every worker walk its counters, and sampling a thousand pools' series holds this
 * thread for milliseconds (6-8 ms measured on the bench's 1,000 pools with the box shared); either,
 * in the middle of a hand-out, made its slowest percent. So the tick waits (up to one interval)
 * until no hand-out is in flight, and acts in the same turn as it checks: a revision published
 * between a check and a later `.then` (back-to-back edits publish in the turn their previous
 * revision's acknowledgement resolves) began a hand-out the sample then held up for its whole
 * length, measured 0.2-1.7 ms after the publish. A hand-out that begins while the sample runs waits
 * one slice of it (SLICE_MS), then goes first. Under a steady stream of revisions it samples late.
 */
import type { SnapshotHolder } from "../../config/index.ts";
import { nextTurn, type StatsHistory } from "../stats/history.ts";
import type { NodeStats } from "./node-stats.ts";
import type { WorkerSet } from "./worker-set.ts";

/** The longest the sample holds the control thread at a time (ms). */
const SLICE_MS = 1;

/** What the gate needs of the workers: whether a hand-out is in flight, and a wait for none to be. */
export interface HandoutGate {
  handingOut(): boolean;
  quiet(maxMs: number): Promise<void>;
}

/**
 * Runs `act` once no hand-out is in flight, in the very turn that saw none (nothing can begin one
 * in between), or after `maxMs` regardless.
 */
export async function whenQuiet<T>(gate: HandoutGate, maxMs: number, act: () => T): Promise<T> {
  const until = performance.now() + maxMs;
  for (;;) {
    const left = until - performance.now();
    if (!gate.handingOut() || left <= 0) return act();
    await gate.quiet(left);
  }
}

export interface StatsTick {
  /** Fresh counters from every worker (with metrics families when `metrics`). */
  refresh(metrics: boolean): Promise<void>;
  stop(): void;
}

/** Starts the once-a-second gather-and-sample; the first sample is taken when `applied` first publishes. */
export function startStatsTick(set: WorkerSet, stats: NodeStats, history: StatsHistory, applied: SnapshotHolder): StatsTick {
  // Reads share a collection, but never one that started before they came (a counter a client
  // saw change must show): a read during a collection waits for it and shares the next one.
  let refreshing: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const collect = (): Promise<void> => (refreshing = set.collect(false).then(() => stats.refresh()).finally(() => (refreshing = undefined)));
  const refresh = async (metrics: boolean): Promise<void> => {
    if (metrics) return set.collect(true).then(() => stats.refresh());
    if (next) return next;
    if (!refreshing) return collect();
    return (next = refreshing.catch(() => {}).then(() => {
      next = undefined;
      return collect();
    }));
  };
  // The first sample starts every series of the first revision served, before any traffic (as
  // StatsHistory.start does); then the node's merged counters once a second, right after gathering them.
  const first = applied.subscribe(() => {
    first();
    history.sample();
  });
  let sampling = false;
  const max = history.intervalMs;
  // The sample gives the thread back every slice, and a hand-out that began meanwhile goes first,
  // for one interval in all: under a steady stream of revisions the sample still ends.
  const sample = () => {
    const until = performance.now() + max;
    return history.sampleInSlices(SLICE_MS, () => nextTurn().then(() => whenQuiet(set, until - performance.now(), () => {})));
  };
  const timer = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void whenQuiet(set, max, () => refresh(false))
      .then(() => whenQuiet(set, max, sample))
      .finally(() => (sampling = false));
  }, history.intervalMs);
  timer.unref?.();
  return { refresh, stop: () => clearInterval(timer) };
}
