/** Gauge: a Prometheus gauge, set directly or rebuilt by a callback at scrape time. */
import { formatValue, Metric } from "./metric.ts";
import type { Labels } from "./metric.ts";

/** A value that goes up and down; optionally refreshed by a callback at scrape time. */
export class Gauge extends Metric<{ v: number }> {
  readonly type = "gauge";
  constructor(name: string, help: string, labelNames: readonly string[], private readonly onCollect?: (g: Gauge) => void) {
    super(name, help, labelNames);
  }
  protected fresh() {
    return { v: 0 };
  }
  protected lines(l: (e?: string) => string, s: { v: number }) {
    return [`${this.name}${l()} ${formatValue(s.v)}`];
  }
  /** Rebuilds the series from the callback, as Counter does. */
  protected override collect(): void {
    if (this.onCollect === undefined) return;
    this.series.clear();
    this.onCollect(this);
  }
  /** Sets the series for `labels` to `v`. */
  set(v: number, labels?: Labels): void {
    this.get(labels).v = v;
  }
  /** Adds `by` (may be negative). */
  inc(labels?: Labels, by = 1): void {
    this.get(labels).v += by;
  }
  /** Current value for `labels`. */
  value(labels?: Labels): number {
    return this.get(labels).v;
  }
}
