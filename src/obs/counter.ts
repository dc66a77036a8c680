/** Counter: a Prometheus counter, a count that only goes up. */
import { LbError } from "../errors.ts";
import { formatValue, Metric } from "./metric.ts";
import type { Labels } from "./metric.ts";

/** A monotonically increasing count. */
export class Counter extends Metric<{ v: number }> {
  readonly type = "counter";
  /**
   * `onCollect` copies totals kept elsewhere (plain numbers on the hot path) in at scrape time; the
   * series are cleared before it runs, so they are exactly what it sets (a removed backend's series
   * goes away instead of showing its last value forever).
   */
  constructor(name: string, help: string, labelNames: readonly string[], private readonly onCollect?: (c: Counter) => void) {
    super(name, help, labelNames);
  }
  protected override collect(): void {
    if (this.onCollect === undefined) return;
    this.series.clear();
    this.onCollect(this);
  }
  /** Sets the series for `labels` to the running total `v` (for onCollect). */
  set(v: number, labels?: Labels): void {
    this.get(labels).v = v;
  }
  protected fresh() {
    return { v: 0 };
  }
  protected lines(l: (e?: string) => string, s: { v: number }) {
    return [`${this.name}${l()} ${formatValue(s.v)}`];
  }
  /** Adds `by` (default 1, must be >= 0) to the series for `labels`. */
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new LbError("INVALID_ARGUMENT", `counter ${this.name} cannot decrease`);
    this.get(labels).v += by;
  }
  /** Current value for `labels` (0 if never incremented). */
  value(labels?: Labels): number {
    return this.get(labels).v;
  }
}
