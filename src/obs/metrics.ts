/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format 0.0.4. The admin API serves it at /metrics; the data plane registers its own
 * metrics on the same registry. Label sets are kept in a Map keyed by their joined values, so an
 * increment is one Map lookup (no allocation once a series exists).
 */
import { LbError } from "../errors.ts";

/** The content type Prometheus expects for format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label values by label name. */
export type Labels = Record<string, string | number>;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default histogram buckets (seconds), as the Prometheus client libraries use. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Common shape of every metric kind: name, help, label names, and rendering. */
abstract class Metric<S> {
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME_RE.test(name)) throw new LbError("INVALID_ARGUMENT", `bad metric name "${name}"`);
    for (const l of labelNames) {
      if (!LABEL_RE.test(l) || l === "le") throw new LbError("INVALID_ARGUMENT", `bad label name "${l}" on ${name}`);
    }
  }

  abstract readonly type: "counter" | "gauge" | "histogram";
  protected abstract fresh(): S;
  protected abstract lines(labelText: (extra?: string) => string, state: S): string[];

  /** The series for these labels, created on first use. Every declared label must be given. */
  protected get(labels: Labels = {}): S {
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new LbError("INVALID_ARGUMENT", `metric ${this.name} needs label "${n}"`);
      return String(v);
    });
    const key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) {
      s = { values, state: this.fresh() };
      this.series.set(key, s);
    }
    return s.state;
  }

  /** Called just before rendering; gauges with a collect callback refresh here. */
  protected collect(): void {}

  /** Renders HELP, TYPE and every series. */
  render(): string {
    this.collect();
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, state } of this.series.values()) {
      const pairs = values.map((v, i) => `${this.labelNames[i]}="${escapeLabel(v)}"`);
      const labelText = (extra?: string) => {
        const all = extra === undefined ? pairs : [...pairs, extra];
        return all.length === 0 ? "" : `{${all.join(",")}}`;
      };
      out.push(...this.lines(labelText, state));
    }
    return out.join("\n");
  }
}

/** A monotonically increasing count. */
export class Counter extends Metric<{ v: number }> {
  readonly type = "counter";
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
  protected override collect(): void {
    this.onCollect?.(this);
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
  /** Count and sum recorded so far for `labels`. */
  snapshot(labels?: Labels): { count: number; sum: number } {
    const s = this.get(labels);
    return { count: s.count, sum: s.sum };
  }
}

type AnyMetric = Counter | Gauge | Histogram;

/**
 * Holds metrics by name. Registering a name twice with the same kind returns the existing metric
 * (so a restarted subsystem re-attaches to its series); a different kind is an error.
 */
export class Registry {
  private readonly metrics = new Map<string, AnyMetric>();

  private register<M extends AnyMetric>(m: M): M {
    const existing = this.metrics.get(m.name);
    if (existing) {
      if (existing.type !== m.type) throw new LbError("INVALID_ARGUMENT", `metric ${m.name} already registered as ${existing.type}`);
      return existing as M;
    }
    this.metrics.set(m.name, m);
    return m;
  }

  /** Registers (or returns) a counter. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  /** Registers (or returns) a gauge; `onCollect` runs at each scrape to refresh its value. */
  gauge(name: string, help: string, labelNames: readonly string[] = [], onCollect?: (g: Gauge) => void): Gauge {
    return this.register(new Gauge(name, help, labelNames, onCollect));
  }

  /** Registers (or returns) a histogram with the given upper bounds. */
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets));
  }

  /** The whole registry in text exposition format 0.0.4, ending with a newline. */
  render(): string {
    const parts = [...this.metrics.values()].map((m) => m.render());
    return parts.length === 0 ? "" : parts.join("\n") + "\n";
  }
}
