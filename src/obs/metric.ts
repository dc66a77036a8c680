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

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value as the text format writes it (+Inf, -Inf, NaN spelled out). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Common shape of every metric kind: name, help, label names, and rendering. */
export abstract class Metric<S> {
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
