/**
 * Interleaved rounds: every target is loaded once per round with wrk, the order rotating from
 * round to round (so drift on a shared machine, or the host pausing its vCPUs, does not always
 * land on the same target), while the page faults of the process serving it are counted. What
 * the tail bench compares is then the same round's figures side by side, and their spread.
 */
import type { Target } from "../peers/side-by-side.ts";
import { runWrk } from "../peers/wrk.ts";
import { countCpu } from "./cpu.ts";
import { countFaults } from "./faults.ts";
import { busiestHeap, summarizeGc, type GcSummary } from "./gc-log.ts";

/** A target and the process whose page faults count for it (none for the direct row). */
export interface RoundTarget extends Target {
  pid?: number;
  /** The serving process's JSC collection log so far (a node run with BUN_JSC_logGC=1): its collections per run are summed. */
  gcLog?: () => string;
}

/** One wrk run of one target. */
export interface RunFigures {
  p99Ms: number;
  rps: number;
  /** Page faults of the serving process per completed request; null when no pid is watched. */
  faultsPerRequest: number | null;
  /** The serving heap's collections during the run; null when the target has no gcLog. */
  gc: GcSummary | null;
  /** The serving process's CPU (all threads, schedstat) per completed request, µs; null when no pid is watched. */
  cpuUsPerRequest: number | null;
  /** Its user-mode part (utime, 10 ms ticks), µs per request; null when no pid is watched. */
  userUsPerRequest: number | null;
  /** Requests wrk completed. */
  requests: number;
  errors: string[];
}

/** The runs of each target, in round order. */
export type RoundResults = Map<string, RunFigures[]>;

/** `list` rotated left by `by`. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function runOnce(t: RoundTarget, seconds: number, connections: number): Promise<RunFigures> {
  const faults = t.pid === undefined ? undefined : countFaults(t.pid);
  const logFrom = t.gcLog?.().length ?? 0;
  try {
    const cpu = t.pid === undefined ? undefined : countCpu(t.pid);
    const r = await runWrk(t.port, seconds, connections);
    const c = cpu ? cpu.stop() : null;
    const n = faults ? await faults.stop() : null;
    const per = Math.max(1, r.requests);
    return {
      p99Ms: r.p99Ms, rps: r.rps, faultsPerRequest: n === null ? null : n / per,
      cpuUsPerRequest: c === null ? null : c.cpuUs / per, userUsPerRequest: c === null ? null : c.userUs / per,
      gc: t.gcLog ? runGc(t.gcLog(), logFrom) : null, requests: r.requests, errors: r.errors,
    };
  } catch (e) {
    await faults?.stop().catch(() => 0);
    throw e;
  }
}

/** The collections of the busiest heap of the whole log (the serving one) in the part written since `from`. */
function runGc(log: string, from: number): GcSummary | null {
  const heap = busiestHeap(log);
  return heap === null ? null : summarizeGc(log.slice(from), heap);
}

/** Runs `rounds` rounds over `targets` at `connections`; `onRun` sees each run as it ends. */
export async function interleavedRounds(
  targets: readonly RoundTarget[],
  rounds: number,
  seconds: number,
  connections: number,
  onRun: (round: number, t: RoundTarget, f: RunFigures) => void,
): Promise<RoundResults> {
  const out: RoundResults = new Map(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of rotate(targets, r)) {
      const f = await runOnce(t, seconds, connections);
      out.get(t.name)!.push(f);
      onRun(r, t, f);
    }
  }
  return out;
}

/** Median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per-round ratios a/b of one figure, for two targets measured in the same rounds. */
export function roundRatios(res: RoundResults, a: string, b: string, pick: (f: RunFigures) => number): number[] {
  const x = res.get(a), y = res.get(b);
  if (!x || !y) return [];
  return x.map((f, i) => pick(f) / pick(y[i]!));
}
