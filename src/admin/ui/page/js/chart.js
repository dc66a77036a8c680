// Small time-series charts on uPlot (loaded as the global `uPlot` from vendor/). One Chart is one
// titled box with one or more lines over the history window; the head shows the latest value, or
// the value under the cursor. Colours come from the stylesheet, so light and dark both work; a
// scheme change redraws every chart.

const live = new Set();
const scheme = matchMedia("(prefers-color-scheme: dark)");
scheme.addEventListener("change", () => {
  for (const c of live) c.rebuild();
});

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * A chart in a new `.chart` element. `lines`: [{ label, color: "--c1" }]; `format(v)` renders a
 * value (and `axis(v)` the y axis, default `format`); `minTop` is the least top of the y axis (so an
 * idle chart still has a scale). With `total` ("sum" or "max") the head shows that over the lines
 * instead of each line's value (charts with a line per backend).
 */
export class Chart {
  constructor({ id, title, lines, format, axis = format, total, minTop = 1, maxTop = Infinity }) {
    this.lines = lines;
    this.format = format;
    this.axis = axis;
    this.total = total;
    this.minTop = minTop;
    this.maxTop = maxTop;
    this.data = [[], ...lines.map(() => [])];
    this.value = document.createElement("b");
    const head = document.createElement("div");
    head.className = "chart-head";
    const name = document.createElement("span");
    name.textContent = title;
    head.append(name, this.value);
    this.body = document.createElement("div");
    this.body.className = "chart-body";
    this.el = document.createElement("div");
    this.el.className = "chart";
    this.el.dataset.chart = id;
    this.el.append(head, this.body);
    this.resizer = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resizer.observe(this.body);
    live.add(this);
    this.rebuild();
  }

  size() {
    return { width: Math.max(120, this.body.clientWidth), height: this.body.clientHeight || 110 };
  }

  /** (Re)creates the plot with the current scheme's colours. */
  rebuild() {
    this.plot?.destroy();
    const muted = cssVar("--muted");
    const grid = { stroke: cssVar("--chart-grid"), width: 1 };
    const font = "11px system-ui, sans-serif";
    const top = (max) => Math.min(this.maxTop, Math.max(this.minTop, (max ?? 0) * 1.15));
    this.plot = new uPlot({
      ...this.size(),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, top(max)] } },
      axes: [
        { stroke: muted, grid, ticks: { show: false }, font, size: 22, space: 70 },
        { stroke: muted, grid, ticks: { show: false }, font, size: 46, space: 28, values: (_u, vs) => vs.map((v) => this.axis(v)) },
      ],
      series: [{}, ...this.lines.map((l) => ({ label: l.label, stroke: cssVar(l.color), width: 1.5, points: { show: false } }))],
      hooks: { setCursor: [(u) => this.#showAt(u.cursor.idx)] },
    }, this.data, this.body);
    this.#showAt(null);
  }

  /** New data: `time` (unix seconds) and one column per line, aligned with it. */
  setData(time, ...columns) {
    this.data = [time, ...columns];
    this.plot.setData(this.data);
    const first = columns[0] ?? [];
    let max = 0;
    for (const v of first) if (v !== null && v > max) max = v;
    this.el.dataset.max = String(max);
    this.el.dataset.last = String(lastValue(first) ?? "");
    this.#showAt(this.plot.cursor.idx);
  }

  /** The head: values at sample `idx`, or the latest ones when the cursor is off the chart. */
  #showAt(idx) {
    const cols = this.data.slice(1);
    const at = (col) => (idx === null || idx === undefined ? lastValue(col) : col[idx]);
    if (this.total) {
      const vs = cols.map(at).filter((v) => v !== null && v !== undefined);
      const v = vs.length === 0 ? null : this.total === "sum" ? vs.reduce((a, b) => a + b, 0) : Math.max(...vs);
      this.value.textContent = `${this.total === "sum" ? "total" : "max"} ${v === null ? "–" : this.format(v)}`;
      return;
    }
    const parts = cols.map((col, i) => {
      const v = at(col);
      const label = cols.length > 1 ? `${this.lines[i].label} ` : "";
      return `${label}${v === null || v === undefined ? "–" : this.format(v)}`;
    });
    this.value.textContent = parts.join("  ");
  }

  destroy() {
    this.resizer.disconnect();
    this.plot?.destroy();
    live.delete(this);
  }
}

function lastValue(col) {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null) return col[i];
  return null;
}

/** A grey box in place of charts a listener of this kind does not have. */
export function notApplicable(title, why) {
  const el = document.createElement("div");
  el.className = "chart wide";
  el.innerHTML = '<div class="chart-head"><span></span></div><div class="na"></div>';
  el.querySelector("span").textContent = title;
  el.querySelector(".na").textContent = why;
  return el;
}

/** Axis labels for counts and rates: 0, 0.5, 1, 250, 1.5k. */
export function plain(v) {
  if (v >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toFixed(2));
}
