// The page's copy of the node's stats history (GET /v1/stats/history): the first read takes the
// whole window, later reads only the last few seconds, merged by sample time. So an open page costs
// the node a few hundred bytes a second, not the whole window again.

const FIELDS = ["requests", "rps", "status_4xx", "status_5xx", "no_response", "errors", "active", "p50_ms", "p99_ms"];

/** The key of a series: "listener/web", "route/web/api", "backend/app/127.0.0.1:8080". */
export function seriesKey(scope, name, parent) {
  return parent === undefined ? `${scope}/${name}` : `${scope}/${parent}/${name}`;
}

export class History {
  constructor(windowS = 300) {
    this.windowS = windowS;
    this.time = [];
    this.series = new Map();
  }

  /** How many seconds the next read should ask for. */
  wanted(nowS = Date.now() / 1000) {
    const last = this.time.at(-1);
    if (last === undefined) return this.windowS;
    return Math.min(this.windowS, Math.max(3, Math.ceil(nowS - last) + 2));
  }

  /** Merges a /v1/stats/history answer. A node that went back in time (restarted) starts afresh. */
  merge(view) {
    const last = this.time.at(-1);
    if (last !== undefined && view.time.length > 0 && view.time.at(-1) < last - 1) this.clear();
    const from = this.time.length === 0 ? 0 : view.time.findIndex((t) => t > this.time.at(-1) + 1e-6);
    const seen = new Set();
    const before = this.time.length;
    if (from >= 0) this.time.push(...view.time.slice(from));
    for (const s of view.series) {
      const key = seriesKey(s.scope, s.name, s.listener ?? s.pool);
      seen.add(key);
      let cols = this.series.get(key);
      if (!cols) {
        cols = Object.fromEntries(FIELDS.map((f) => [f, new Array(before).fill(null)]));
        this.series.set(key, cols);
      }
      for (const f of FIELDS) if (from >= 0) cols[f].push(...s[f].slice(from));
    }
    // A series the node no longer has (removed from the config) goes; one it lacks for a tick is padded.
    for (const [key, cols] of this.series) {
      if (!seen.has(key)) this.series.delete(key);
      else for (const f of FIELDS) while (cols[f].length < this.time.length) cols[f].push(null);
    }
    this.#trim();
  }

  clear() {
    this.time = [];
    this.series.clear();
  }

  /** Columns of one series ({ rps: [...], ... }, aligned with `time`), or undefined. */
  get(scope, name, parent) {
    return this.series.get(seriesKey(scope, name, parent));
  }

  /** The mean of `field` over the last `n` samples that have a value (NaN if none). */
  recent(cols, field, n = 5) {
    const xs = (cols?.[field] ?? []).slice(-n).filter((v) => v !== null);
    return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
  }

  /** The last value of `field` that is not null (NaN if none). */
  latest(cols, field) {
    const xs = cols?.[field] ?? [];
    for (let i = xs.length - 1; i >= 0; i--) if (xs[i] !== null) return xs[i];
    return Number.NaN;
  }

  #trim() {
    const end = this.time.at(-1);
    let drop = 0;
    while (drop < this.time.length && this.time[drop] <= end - this.windowS) drop++;
    if (drop === 0) return;
    this.time.splice(0, drop);
    for (const cols of this.series.values()) for (const f of FIELDS) cols[f].splice(0, drop);
  }
}
