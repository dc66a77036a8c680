/**
 * One series of the stats history: a column store of per-second samples in a fixed ring (one
 * Float32Array, NaN = no value) and the counter values seen at the last sample, from which the next
 * sample's deltas are taken. Written once a second by the sampler, never by the data plane.
 */
import type { HistoryScope } from "../../status.ts";
import { LATENCY_BUCKETS, quantileMs } from "./latency.ts";
import type { TrafficStats } from "./traffic-stats.ts";

/** The fields of one sample, in column order (HistorySeries names them). */
export const FIELDS = ["requests", "rps", "status_4xx", "status_5xx", "no_response", "errors", "active", "p50_ms", "p99_ms"] as const;
const [REQUESTS, RPS, S4XX, S5XX, NONE, ERRORS, ACTIVE, P50, P99] = FIELDS.map((_, i) => i) as number[];

/** What the sampler reads for one series at one tick. */
export interface SeriesInput {
  /** The counters; undefined until the thing has seen traffic. */
  stats: TrafficStats | undefined;
  /** The gauge: open connections or in-flight work. */
  active: number;
  /** Backends: work started (BackendStats.total), counted as `requests` instead of finished ones. */
  started?: number;
}

const scratch = new Float64Array(LATENCY_BUCKETS);

export class HistorySeries {
  /** capacity × FIELDS values; slot s holds fields [s*FIELDS.length, (s+1)*FIELDS.length). */
  readonly values: Float32Array;
  /** The tick this series was last written at (a series not written at a tick is gone). */
  lastTick = -1;
  /** Gone from the history (its thing left the snapshot): never written again. */
  dropped = false;
  #stats: TrafficStats | undefined;
  readonly #prevClass = new Float64Array(6);
  #prevStarted = 0;
  #prevErrors = 0;
  readonly #prevLatency = new Uint32Array(LATENCY_BUCKETS);

  constructor(
    readonly scope: HistoryScope,
    readonly name: string,
    readonly parent: string | undefined,
    capacity: number,
    first: SeriesInput,
  ) {
    this.values = new Float32Array(capacity * FIELDS.length).fill(Number.NaN);
    // Counting starts now: what happened before the series existed is not this window's traffic.
    this.#remember(first);
  }

  /** Writes the sample for `input` at ring slot `slot`; `seconds` is the wall time since the last tick. */
  write(slot: number, tick: number, seconds: number, input: SeriesInput): void {
    const s = input.stats;
    // A new counters object (first traffic, or the thing was removed and added again) counts from zero.
    if (s !== this.#stats) this.#forget(input);
    const at = slot * FIELDS.length;
    const v = this.values;
    if (s === undefined) return this.#writeIdle(v, at, tick, seconds, input);
    const cls = s.byClass, prev = this.#prevClass;
    const c0 = cls[0]! - prev[0]!, c4 = cls[4]! - prev[4]!, c5 = cls[5]! - prev[5]!;
    const finished = c0 + (cls[1]! - prev[1]!) + (cls[2]! - prev[2]!) + (cls[3]! - prev[3]!) + c4 + c5;
    const requests = input.started === undefined ? finished : input.started - this.#prevStarted;
    v[at + REQUESTS] = requests;
    v[at + RPS] = seconds > 0 ? requests / seconds : 0;
    v[at + S4XX] = c4;
    v[at + S5XX] = c5;
    v[at + NONE] = c0;
    v[at + ERRORS] = errorsOf(s) - this.#prevErrors;
    v[at + ACTIVE] = input.active;
    const total = latencyDelta(s.durations.counts, this.#prevLatency);
    v[at + P50] = quantileMs(scratch, total, 0.5);
    v[at + P99] = quantileMs(scratch, total, 0.99);
    this.#remember(input);
    this.lastTick = tick;
  }

  /** A thing without counters yet (most series of a large config): nothing to difference. */
  #writeIdle(v: Float32Array, at: number, tick: number, seconds: number, input: SeriesInput): void {
    const requests = input.started === undefined ? 0 : input.started - this.#prevStarted;
    v[at + REQUESTS] = requests;
    v[at + RPS] = seconds > 0 ? requests / seconds : 0;
    v[at + S4XX] = v[at + S5XX] = v[at + NONE] = v[at + ERRORS] = 0;
    v[at + ACTIVE] = input.active;
    v[at + P50] = v[at + P99] = Number.NaN;
    this.#prevStarted = input.started ?? 0;
    this.lastTick = tick;
  }

  #remember(input: SeriesInput): void {
    const s = input.stats;
    this.#stats = s;
    if (s) this.#prevClass.set(s.byClass);
    this.#prevStarted = input.started ?? 0;
    this.#prevErrors = errorsOf(s);
    if (s) this.#prevLatency.set(s.durations.counts);
  }

  #forget(input: SeriesInput): void {
    this.#stats = input.stats;
    this.#prevClass.fill(0);
    this.#prevStarted = 0;
    this.#prevErrors = 0;
    this.#prevLatency.fill(0);
  }
}

function errorsOf(s: TrafficStats | undefined): number {
  let n = 0;
  if (s) for (const v of s.errors.values()) n += v;
  return n;
}

/** Fills `scratch` with counts − prev per bucket (wrap-safe) and returns their sum. */
function latencyDelta(counts: Uint32Array, prev: Uint32Array): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const d = (counts[i]! - prev[i]!) >>> 0;
    scratch[i] = d;
    total += d;
  }
  return total;
}
