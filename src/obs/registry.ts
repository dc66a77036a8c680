/**
 * Registry: the metrics of one node by name, rendered together for /metrics. The admin API
 * registers its own; the data plane registers its metrics on the same registry (startNode hands
 * it over in DataPlaneContext).
 */
import { LbError } from "../errors.ts";
import { Counter } from "./counter.ts";
import { Gauge } from "./gauge.ts";
import { Histogram } from "./histogram.ts";
import type { FamilyDump } from "./metric.ts";
import { renderFamily } from "./registry-merge.ts";

/** The content type Prometheus expects for format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

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
  counter(name: string, help: string, labelNames: readonly string[] = [], onCollect?: (c: Counter) => void): Counter {
    return this.register(new Counter(name, help, labelNames, onCollect));
  }

  /** Registers (or returns) a gauge; `onCollect` runs at each scrape to refresh its value. */
  gauge(name: string, help: string, labelNames: readonly string[] = [], onCollect?: (g: Gauge) => void): Gauge {
    return this.register(new Gauge(name, help, labelNames, onCollect));
  }

  /** Registers (or returns) a histogram with the given upper bounds. */
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets));
  }

  /**
   * Families rendered after this registry's own on every `render` (a node's workers, merged):
   * called at each render; a name this registry holds itself is left out.
   */
  extra: (() => readonly FamilyDump[]) | undefined;

  /** The whole registry in text exposition format 0.0.4, ending with a newline. */
  render(): string {
    const parts = [...this.metrics.values()].map((m) => m.render());
    for (const f of this.extra?.() ?? []) if (!this.metrics.has(f.name)) parts.push(renderFamily(f));
    return parts.length === 0 ? "" : parts.join("\n") + "\n";
  }

  /** Every family as data, collected now (a worker's registry, for its node to merge). */
  dump(): FamilyDump[] {
    return [...this.metrics.values()].map((m) => m.dump());
  }
}
