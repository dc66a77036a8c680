// Overview: what is up and what is down at a glance (every backend as a dot), then every listener
// with its protocol, address, live connections, req/s, error rate and p50/p99 latency, each over
// the last five minutes as small charts.

import { backendLook, isDown, statusBackends } from "./adapt.js";
import { Chart, notApplicable, plain } from "./chart.js";
import { h, keyed, refill, stat } from "./dom.js";
import { count, ms, pct, rate } from "./format.js";

const HTTP = new Set(["http", "https"]);

function summary(status) {
  const pools = status.pools ?? [];
  const all = pools.flatMap((p) => statusBackends(p).map((b) => ({ ...b, pool: p.name })));
  const down = all.filter(isDown);
  const listeners = status.listeners ?? [];
  return h("div", { class: "summary" },
    h("div", { class: "panel" }, h("h3", {}, "Listeners"),
      h("div", {}, `${listeners.filter((l) => l.bound).length} of ${listeners.length} bound`)),
    h("div", { class: "panel", id: "backends-at-a-glance" }, h("h3", {}, "Backends"),
      h("div", { class: down.length > 0 ? "error" : "" },
        down.length === 0 ? `${all.length} backends, none down` : `${down.length} of ${all.length} down: ${down.map((b) => `${b.pool}/${b.address}`).join(", ")}`),
      h("div", { class: "dots" }, all.map((b) => h("span", { class: `dot ${backendLook(b)}`, title: `${b.pool} ${b.address}: ${backendLook(b)}` })))),
    h("div", { class: "panel" }, h("h3", {}, "Config"),
      h("div", {}, `revision ${status.revision ?? "–"}`, status.stored_revision !== status.revision ? ` (stored ${status.stored_revision})` : ""),
      h("div", { class: "muted small" }, status.ready ? "ready" : "not ready")));
}

/** Error share per sample: 5xx and unanswered over all finished requests (null where no data). */
function errorPct(cols, fields) {
  return cols.requests.map((n, i) => {
    if (n === null) return null;
    if (n === 0) return 0;
    return (100 * fields.reduce((sum, f) => sum + (cols[f][i] ?? 0), 0)) / n;
  });
}

function listenerCard(l) {
  const charts = [];
  const id = (what) => `listener/${l.name}/${what}`;
  const box = h("div", { class: "charts" });
  if (HTTP.has(l.protocol)) {
    charts.push(
      ["rps", new Chart({ id: id("rps"), title: "req/s", lines: [{ label: "req/s", color: "--c1" }], format: rate, axis: plain })],
      ["errors", new Chart({ id: id("errors"), title: "errors", lines: [{ label: "5xx", color: "--c2" }, { label: "4xx", color: "--c5" }], format: pct, minTop: 5, maxTop: 100 })],
      ["latency", new Chart({ id: id("latency"), title: "latency", lines: [{ label: "p50", color: "--c3" }, { label: "p99", color: "--c4" }], format: ms })],
    );
  } else {
    box.append(notApplicable("req/s · errors · latency", `${l.protocol} listener: connections are relayed, not parsed as HTTP requests; its pool's backends count them (Pools)`));
  }
  charts.push(["conns", new Chart({ id: id("conns"), title: "connections", lines: [{ label: "open", color: "--c6" }], format: count, axis: plain, minTop: 4 })]);
  for (const [, c] of charts) box.append(c.el);
  const el = h("div", { class: "panel", "data-listener": l.name }, h("div", { class: "panel-head" }), box);
  el.charts = new Map(charts);
  return el;
}

function updateListener(el, l, history) {
  const cols = history.get("listener", l.name);
  const http = HTTP.has(l.protocol);
  const reqs = http ? history.recent(cols, "rps") : Number.NaN;
  const errs = http && cols ? errorPct(cols, ["status_5xx", "no_response"]).slice(-5) : [];
  const errMean = errs.length ? errs.reduce((a, b) => a + (b ?? 0), 0) / errs.length : Number.NaN;
  refill(el.firstChild,
    h("h3", {}, l.name), h("span", { class: "tag" }, l.protocol), h("code", {}, l.address),
    l.bound ? null : h("span", { class: "pill unhealthy" }, `not bound${l.error ? `: ${l.error}` : ""}`),
    h("span", { class: "stats" },
      stat("connections", count(l.active_connections ?? 0)),
      stat("req/s", rate(reqs)), stat("errors", pct(errMean)),
      stat("p50", ms(http ? history.latest(cols, "p50_ms") : Number.NaN)),
      stat("p99", ms(http ? history.latest(cols, "p99_ms") : Number.NaN))));
  if (!cols) return;
  const t = history.time;
  el.charts.get("rps")?.setData(t, cols.rps);
  el.charts.get("errors")?.setData(t, errorPct(cols, ["status_5xx", "no_response"]), errorPct(cols, ["status_4xx"]));
  el.charts.get("latency")?.setData(t, cols.p50_ms, cols.p99_ms);
  el.charts.get("conns").setData(t, cols.active);
}

/** Renders (or refreshes) the Overview into `root`. */
export function renderOverview(root, { status, history }) {
  if (!root.firstChild) root.append(h("div", { class: "summary-slot" }), h("h2", {}, "Listeners"), h("div", { class: "listeners" }));
  refill(root.querySelector(".summary-slot"), summary(status));
  const listeners = root.querySelector(".listeners");
  listeners.querySelector(".empty")?.remove();
  keyed(listeners, status.listeners ?? [], (l) => `${l.name}/${l.protocol}`, listenerCard,
    (el, l) => updateListener(el, l, history),
    (el) => el.charts.forEach((c) => c.destroy()));
  if (listeners.children.length === 0) listeners.append(h("p", { class: "empty" }, "No listeners in the config."));
}
