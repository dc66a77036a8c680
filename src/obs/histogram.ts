/** Histogram: observations counted into buckets, rendered cumulative as Prometheus expects. */
import { LbError } from "../errors.ts";
import { formatValue, Metric } from "./metric.ts";
import type { Labels } from "./metric.ts";

/** Default histogram buckets (seconds), as the Prometheus client libraries use. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram extends Metric<HistogramState> {
  readonly type = "histogram";
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new LbError("INVALID_ARGUMENT", `histogram ${name} needs distinct finite buckets`);
    }
    this.buckets = sorted;
  }
  protected fresh(): HistogramState {
    return { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
  }
  protected lines(l: (e?: string) => string, s: HistogramState) {
    const out: string[] = [];
    // Each bucket already holds only its own observations; exposition wants them cumulative.
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += s.counts[i];
      out.push(`${this.name}_bucket${l(`le="${formatValue(b)}"`)} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${l('le="+Inf"')} ${s.count}`);
    out.push(`${this.name}_sum${l()} ${formatValue(s.sum)}`, `${this.name}_count${l()} ${s.count}`);
    return out;
  }
  /** Records one observation `v` for `labels`. */
  observe(v: number, labels?: Labels): void {
    const s = this.get(labels);
    const i = this.buckets.findIndex((b) => v <= b);
    if (i >= 0) s.counts[i]++;
    s.sum += v;
    s.count++;
  }
  /**
   * A recorder for one label set, resolved once: the hot path calls it without building label
   * keys (observe() looks the series up on every call).
   */
  bind(labels?: Labels): (v: number) => void {
    const s = this.get(labels);
    const buckets = this.buckets;
    return (v: number) => {
      let i = 0;
      while (i < buckets.length && v > buckets[i]!) i++;
      if (i < buckets.length) s.counts[i]++;
      s.sum += v;
      s.count++;
    };
  }
  /** Count and sum recorded so far for `labels`. */
  snapshot(labels?: Labels): { count: number; sum: number } {
    const s = this.get(labels);
    return { count: s.count, sum: s.sum };
  }
}
