/**
 * The node's stats history (GET /v1/stats/history, the dashboard's charts): one timer per node
 * samples every listener, route, pool and backend once a second into a bounded ring per series.
 * The data plane is not touched: the sampler only reads the counters it already keeps
 * (TrafficStats), so a request pays nothing for the history beyond its latency count.
 */
import type { HistoryQuery, HistoryScope, HistorySeries as SeriesView, HistoryView } from "../../status.ts";
import { FIELDS, HistorySeries, type SeriesInput } from "./history-series.ts";

/** One series as it stands at a tick. */
export interface HistorySource extends SeriesInput {
  scope: HistoryScope;
  name: string;
  /** Routes: their listener; backends: their pool. */
  parent?: string;
  /**
   * The thing's object in the snapshot served, when there is one: the series is found by it
   * without building its key (a thousand pools are 4,000 series a second); a new object of the
   * same thing (its pool recompiled) finds the series by key and is remembered.
   */
  ref?: object;
}

/** One sample being written: its tick and ring slot, the sources read for it, the series written so far. */
interface Sampling {
  wallMs: number;
  seconds: number;
  tick: number;
  slot: number;
  written: number;
  sources: readonly HistorySource[];
}

export interface StatsHistoryOptions {
  /** Every series that exists now; read once per tick. A series that stops appearing is dropped. */
  sources: () => Iterable<HistorySource>;
  /** Samples kept per series (default 600: ten minutes at one a second). */
  capacity?: number;
  /** Sampling interval (default 1000 ms). */
  intervalMs?: number;
}

/** Default samples per series: ten minutes, twice what the dashboard charts. */
export const DEFAULT_HISTORY_CAPACITY = 600;

/** Decimals kept per field when read: counts are whole, rates to 1/100, latency to the µs. */
const DECIMALS: Record<(typeof FIELDS)[number], number> = {
  requests: 0, rps: 2, status_4xx: 0, status_5xx: 0, no_response: 0, errors: 0, active: 0, p50_ms: 3, p99_ms: 3,
};

export class StatsHistory {
  readonly capacity: number;
  readonly intervalMs: number;
  readonly #sources: () => Iterable<HistorySource>;
  /** Wall-clock time (unix ms) of each ring slot's sample. */
  readonly #times: Float64Array;
  readonly #series = new Map<string, HistorySeries>();
  readonly #byRef = new WeakMap<object, HistorySeries>();
  #tick = -1;
  #filled = 0;
  #lastAt = performance.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** A sliced sample has given the thread back in the middle of writing its slot. */
  #writing = false;

  constructor(opts: StatsHistoryOptions) {
    this.capacity = opts.capacity ?? DEFAULT_HISTORY_CAPACITY;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.#sources = opts.sources;
    this.#times = new Float64Array(this.capacity);
  }

  /**
   * Samples now, then every intervalMs; the timer never keeps the process alive. The first sample
   * starts every series at once, so traffic before the first tick is counted in it.
   */
  start(): void {
    if (this.#timer) return;
    this.#lastAt = performance.now();
    this.sample(Date.now(), 0);
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Takes one sample of every source (the timer calls this; tests call it directly, with the
   * seconds since the last sample that rates are taken over: default the time that really passed).
   */
  sample(wallMs = Date.now(), seconds?: number): void {
    const at = this.#begin(wallMs, seconds);
    for (const src of at.sources) this.#write(src, at);
    this.#end(at);
  }

  /**
   * As sample(), but gives the thread back (a turn of the event loop) each time `sliceMs` of it
   * has passed, so what arrives meanwhile (a node's config hand-out) waits a slice, not the whole
   * sample: a thousand pools' 4,200 series took 2-8 ms of the control thread. `pause` is how it
   * gives the thread back (default: one turn). Reads in between see the samples before this one,
   * whole: it is published at its end. One at a time.
   */
  async sampleInSlices(sliceMs: number, pause: () => Promise<void> = nextTurn, wallMs = Date.now()): Promise<void> {
    const at = this.#begin(wallMs, undefined);
    let since = performance.now();
    for (let i = 0; i < at.sources.length; i++) {
      this.#write(at.sources[i]!, at);
      if ((i & 63) !== 63 || performance.now() - since < sliceMs) continue;
      this.#writing = true;
      await pause();
      since = performance.now();
    }
    this.#writing = false;
    this.#end(at);
  }

  #begin(wallMs: number, seconds: number | undefined): Sampling {
    const now = performance.now();
    seconds ??= (now - this.#lastAt) / 1000;
    this.#lastAt = now;
    const tick = this.#tick + 1;
    const sources = this.#sources();
    return { wallMs, seconds, tick, slot: tick % this.capacity, written: 0, sources: Array.isArray(sources) ? sources : [...sources] };
  }

  #write(src: HistorySource, at: Sampling): void {
    let s = src.ref === undefined ? undefined : this.#byRef.get(src.ref);
    if (s === undefined || s.dropped) s = this.#seriesOf(src);
    if (s.lastTick !== at.tick) at.written++;
    s.write(at.slot, at.tick, at.seconds, src);
  }

  /** Publishes the sample written: its time, the tick reads end at; series not written in it are dropped. */
  #end(at: Sampling): void {
    this.#tick = at.tick;
    this.#times[at.slot] = at.wallMs;
    this.#filled = Math.min(this.#filled + 1, this.capacity);
    if (at.written === this.#series.size) return;
    for (const [key, s] of this.#series) {
      if (s.lastTick === at.tick) continue;
      s.dropped = true;
      this.#series.delete(key);
    }
  }

  /** The series of `src` by its key, made if new; remembered under its object. */
  #seriesOf(src: HistorySource): HistorySeries {
    const key = `${src.scope}\u0000${src.parent ?? ""}\u0000${src.name}`;
    let s = this.#series.get(key);
    if (!s) {
      s = new HistorySeries(src.scope, src.name, src.parent, this.capacity, src);
      this.#series.set(key, s);
    }
    if (src.ref !== undefined) this.#byRef.set(src.ref, s);
    return s;
  }

  /** The newest `q.seconds` samples of the series `q` selects, oldest first. */
  read(q: HistoryQuery): HistoryView {
    // While a sliced sample is being written, its slot is the ring's oldest: not read.
    const n = Math.max(0, Math.min(q.seconds, this.#filled, this.#writing ? this.capacity - 1 : this.capacity));
    const slots: number[] = [];
    for (let t = this.#tick - n + 1; t <= this.#tick; t++) slots.push(t % this.capacity);
    const series: SeriesView[] = [];
    for (const s of this.#series.values()) {
      if (selected(q, s)) series.push(view(s, slots));
    }
    return {
      interval_ms: this.intervalMs,
      capacity: this.capacity,
      time: slots.map((slot) => this.#times[slot]! / 1000),
      series,
    };
  }
}

/** Resolves on the event loop's next turn (after the I/O and messages already waiting). */
export const nextTurn = (): Promise<void> => new Promise((resume) => setImmediate(resume));

/** Scope filter, then listener/pool filters: a series passes when it belongs to any one given. */
function selected(q: HistoryQuery, s: HistorySeries): boolean {
  if (q.scopes && q.scopes.length > 0 && !q.scopes.includes(s.scope)) return false;
  if (q.listener === undefined && q.pool === undefined) return true;
  const ofListener = q.listener !== undefined && (s.scope === "listener" ? s.name : s.scope === "route" ? s.parent : undefined) === q.listener;
  const ofPool = q.pool !== undefined && (s.scope === "pool" ? s.name : s.scope === "backend" ? s.parent : undefined) === q.pool;
  return ofListener || ofPool;
}

function view(s: HistorySeries, slots: readonly number[]): SeriesView {
  const out: Record<string, unknown> = { scope: s.scope, name: s.name };
  if (s.scope === "route") out.listener = s.parent;
  if (s.scope === "backend") out.pool = s.parent;
  FIELDS.forEach((field, f) => {
    const scale = 10 ** DECIMALS[field];
    out[field] = slots.map((slot) => {
      const v = s.values[slot * FIELDS.length + f]!;
      return Number.isNaN(v) ? null : Math.round(v * scale) / scale;
    });
  });
  return out as unknown as SeriesView;
}
