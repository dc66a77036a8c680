// Numbers as an operator reads them: rates, percentages, durations, times. "–" means no data.

export const NONE = "–";

const ok = (v) => typeof v === "number" && Number.isFinite(v);

export function rate(v) {
  if (!ok(v)) return NONE;
  if (v >= 10000) return `${(v / 1000).toFixed(1)}k`;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, "") || "0";
}

export function count(v) {
  if (!ok(v)) return NONE;
  return v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}k` : String(Math.round(v));
}

export function pct(v) {
  if (!ok(v)) return NONE;
  if (v === 0) return "0%";
  return v < 0.1 ? "<0.1%" : v < 10 ? `${v.toFixed(1)}%` : `${v.toFixed(0)}%`;
}

export function ms(v) {
  if (!ok(v)) return NONE;
  if (v === 0) return "0";
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} s`;
  if (v >= 10) return `${v.toFixed(0)} ms`;
  return v >= 1 ? `${v.toFixed(1)} ms` : `${(v * 1000).toFixed(0)} µs`;
}

/** "12 s ago", "3 min ago", "2 h ago", else the local date and time. */
export function ago(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return String(iso ?? NONE);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

/** The share `part / whole` in percent, or NaN. */
export function ratio(part, whole) {
  return whole > 0 ? (100 * part) / whole : Number.NaN;
}
