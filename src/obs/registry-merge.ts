/**
 * Metrics of a node's workers as one node: each worker's registry is dumped as data
 * (Registry.dump), and the control part merges the dumps family by family, series by series
 * (same name, same label values): counters and histograms add up (bucket by bucket), gauges by
 * their family's MergeRule. The naming of families is the registering code's business; this
 * file only adds up what shares a name.
 */
import { escapeHelp, escapeLabel, formatValue, type FamilyDump, type SeriesDump } from "./metric.ts";

function combine(rule: FamilyDump["merge"], type: FamilyDump["type"], a: number, b: number): number {
  if (type !== "gauge" || rule === "sum") return a + b;
  return rule === "max" ? Math.max(a, b) : Math.min(a, b);
}

function addSeries(into: SeriesDump, s: SeriesDump, f: FamilyDump): void {
  if (s.counts && into.counts) {
    for (let i = 0; i < s.counts.length; i++) into.counts[i] = (into.counts[i] ?? 0) + s.counts[i]!;
    into.sum = (into.sum ?? 0) + (s.sum ?? 0);
    into.count = (into.count ?? 0) + (s.count ?? 0);
  } else {
    into.v = combine(f.merge, f.type, into.v ?? 0, s.v ?? 0);
  }
}

function copySeries(s: SeriesDump): SeriesDump {
  return s.counts ? { values: s.values, counts: [...s.counts], sum: s.sum, count: s.count } : { values: s.values, v: s.v };
}

/**
 * The families of `dumps` (one list per worker) merged into one list, in first-seen order. A
 * family whose kind or buckets differ between dumps keeps the first one's series only.
 */
export function mergeFamilies(dumps: readonly (readonly FamilyDump[])[]): FamilyDump[] {
  const out = new Map<string, { f: FamilyDump; series: Map<string, SeriesDump> }>();
  for (const list of dumps) {
    for (const f of list) {
      let m = out.get(f.name);
      if (!m) {
        m = { f: { ...f, series: [] }, series: new Map() };
        out.set(f.name, m);
      } else if (m.f.type !== f.type || String(m.f.buckets) !== String(f.buckets)) continue;
      for (const s of f.series) {
        const key = s.values.join("\u0000");
        const had = m.series.get(key);
        if (had) addSeries(had, s, f);
        else m.series.set(key, copySeries(s));
      }
    }
  }
  return [...out.values()].map(({ f, series }) => ({ ...f, series: [...series.values()] }));
}

/** Counters and histograms only (gauges do not outlive who measured them): what a dead worker leaves to its node's totals. */
export function countersOf(families: readonly FamilyDump[]): FamilyDump[] {
  return families.filter((f) => f.type !== "gauge");
}

/** One family in text exposition format 0.0.4 (as Metric.render writes its own). */
export function renderFamily(f: FamilyDump): string {
  const out = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.series) {
    const pairs = s.values.map((v, i) => `${f.labelNames[i]}="${escapeLabel(v)}"`);
    const labels = (extra?: string) => {
      const all = extra === undefined ? pairs : [...pairs, extra];
      return all.length === 0 ? "" : `{${all.join(",")}}`;
    };
    if (f.type !== "histogram") {
      out.push(`${f.name}${labels()} ${formatValue(s.v ?? 0)}`);
      continue;
    }
    let cumulative = 0;
    (f.buckets ?? []).forEach((b, i) => {
      cumulative += s.counts?.[i] ?? 0;
      out.push(`${f.name}_bucket${labels(`le="${formatValue(b)}"`)} ${cumulative}`);
    });
    out.push(`${f.name}_bucket${labels('le="+Inf"')} ${s.count ?? 0}`);
    out.push(`${f.name}_sum${labels()} ${formatValue(s.sum ?? 0)}`, `${f.name}_count${labels()} ${s.count ?? 0}`);
  }
  return out.join("\n");
}
