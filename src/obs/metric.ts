/**
 * The common part of every metric kind: name and label checks, one series per label set, and
 * rendering in the Prometheus text exposition format 0.0.4. Series are kept in a Map keyed by
 * their joined label values, so an update is one Map lookup (no allocation once a series exists).
 */
import { LbError } from "../errors.ts";

/** Label values by label name. */
export type Labels = Record<string, string | number>;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value as the text format writes it (+Inf, -Inf, NaN spelled out). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * How the same family from several workers of a node adds up (registry-merge.ts): counters and
 * histograms always sum; a gauge sums (per-worker quantities: open connections) unless it already
 * shows the node's value in every worker ("max": a shared cap's gauge, a flag) or the node's is
 * the least of them ("min": bound only if every worker bound it).
 */
export type MergeRule = "sum" | "max" | "min";

/** One series as data, to carry to another thread (registry-merge.ts). */
export interface SeriesDump {
  values: string[];
  /** counter, gauge */
  v?: number;
  /** histogram: per bucket (not cumulative), then sum and count */
  counts?: number[];
  sum?: number;
  count?: number;
}

/** One family as data: what a worker sends for the control part to merge and render. */
export interface FamilyDump {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  labelNames: string[];
  buckets?: number[];
  merge: MergeRule;
  series: SeriesDump[];
}

/** Common shape of every metric kind: name, help, label names, and rendering. */
export abstract class Metric<S> {
  protected readonly series = new Map<string, { values: string[]; state: S }>();
  /** How workers' values of this family add up for the node (gauges only; see MergeRule). */
  merge: MergeRule = "sum";

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

  /** Collects, then copies every series out as data (for another thread to merge). */
  dump(): FamilyDump {
    this.collect();
    const series: SeriesDump[] = [];
    for (const { values, state } of this.series.values()) {
      const st = state as { v?: number; counts?: number[]; sum?: number; count?: number };
      series.push(st.counts ? { values, counts: [...st.counts], sum: st.sum, count: st.count } : { values, v: st.v });
    }
    const buckets = (this as { buckets?: readonly number[] }).buckets;
    return { name: this.name, help: this.help, type: this.type, labelNames: [...this.labelNames], ...(buckets ? { buckets: [...buckets] } : {}), merge: this.merge, series };
  }

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
