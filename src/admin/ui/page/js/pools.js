// Pools: each pool with its backends: state, health, outlier ejections, connections, req/s, errors
// and latency, per-backend charts, and for hashing pools the table's share per backend with its
// digest; on a cluster node, each backend's verdict with the votes of every node behind it. The
// drain / disable / enable buttons open a confirmation (actions.js).

import { isDown, statusBackends } from "./adapt.js";
import { Chart, plain } from "./chart.js";
import { votesView } from "./cluster.js";
import { fill, h, keyed, refill, stat } from "./dom.js";
import { count, ms, rate } from "./format.js";
import { shareBar, shareOf } from "./table-share.js";

const PALETTE = ["--c1", "--c2", "--c3", "--c4", "--c5", "--c6", "--c7", "--c8"];
/** What each state offers: drain and disable take a backend out, enable brings it back. */
const ACTIONS = { active: ["drain", "disable"], draining: ["enable", "disable"], disabled: ["enable", "drain"] };
const LABEL = { drain: "Drain", disable: "Disable", enable: "Enable" };

export const colorOf = (i) => PALETTE[i % PALETTE.length];

const COLUMNS = ["backend", "weight", "state", "health", "ejections", "active", "req/s", "errors/s", "p50", "p99", "table share", ""];
const NUMERIC = new Set([4, 5, 6, 7, 8, 9]);

function row(pool, b) {
  const tr = h("tr", { "data-backend": `${pool}/${b.address}` },
    COLUMNS.map((_, c) => h("td", { class: NUMERIC.has(c) ? "num" : c === COLUMNS.length - 1 ? "actions" : "" })));
  tr.children[0].append(h("span", { class: "dot swatch" }), " ", h("code", {}, b.address));
  // Found in DNS: runtime state, not config, so there is nothing to drain or disable through the API.
  if (b.source === "dns") tr.children[0].append(" ", h("span", { class: "pill", title: `found in DNS: ${b.dns}` }, "dns"));
  return tr;
}

function actionButtons(pool, b, onAction) {
  return (ACTIONS[b.state] ?? []).map((a) =>
    h("button", { type: "button", class: `small${a === "enable" ? "" : " danger"}`, "data-action": a,
      onclick: () => onAction(pool, b.address, a) }, LABEL[a]));
}

function updateRow(tr, pool, b, i, cols, history, share, onAction) {
  tr.className = isDown(b) ? "down" : "";
  tr.dataset.health = b.health ?? "unknown";
  tr.dataset.state = b.state;
  const c = tr.children;
  c[0].firstChild.style.background = `var(${colorOf(i)})`;
  refill(c[1], String(b.weight ?? 1));
  refill(c[2], h("span", { class: `pill ${b.state}` }, b.state));
  refill(c[3], h("span", { class: `pill ${b.health ?? "unknown"}`, "data-verdict": b.votes ? b.health : undefined }, b.health ?? "unknown"),
    b.ejected ? [" ", h("span", { class: "pill ejected", title: "ejected by outlier detection (this node's traffic only)" }, "ejected")] : null,
    votesView(b));
  refill(c[4], count(b.ejections_total ?? 0));
  refill(c[5], count(b.active_requests ?? 0));
  refill(c[6], rate(history.recent(cols, "rps")));
  refill(c[7], rate(history.recent(cols, "status_5xx") + history.recent(cols, "no_response")));
  refill(c[8], ms(history.latest(cols, "p50_ms")));
  refill(c[9], ms(history.latest(cols, "p99_ms")));
  refill(c[10], share === undefined ? "" : shareCell(share, i));
  if (tr.dataset.actions !== b.state) {
    tr.dataset.actions = b.state;
    fill(c[11], b.source === "dns" ? [] : actionButtons(pool, b, onAction));
  }
}

function shareCell(share, i) {
  const bar = h("div", {});
  bar.style.width = `${share}%`;
  bar.style.background = `var(${colorOf(i)})`;
  return [h("span", { class: "share-bar" }, bar), `${share.toFixed(1)}%`];
}

function poolCard(p) {
  const el = h("div", { class: "panel", "data-pool": p.name },
    h("div", { class: "panel-head" }),
    h("div", { class: "share-slot" }),
    h("table", {},
      h("thead", {}, h("tr", {}, COLUMNS.map((t, i) => h("th", { class: NUMERIC.has(i) ? "num" : "" }, t)))),
      h("tbody", {})),
    h("div", { class: "charts" }));
  el.chartKey = "";
  el.charts = [];
  return el;
}

/** Per-backend lines: rebuilt only when the set of backends changes. */
function updateCharts(el, p, history) {
  const backends = statusBackends(p);
  const key = backends.map((b) => b.address).join(",");
  if (el.chartKey !== key) {
    el.charts.forEach((c) => c.destroy());
    const lines = backends.map((b, i) => ({ label: b.address, color: colorOf(i) }));
    const id = (w) => `pool/${p.name}/${w}`;
    el.charts = [
      new Chart({ id: id("rps"), title: "req/s by backend", lines, format: rate, axis: plain, total: "sum" }),
      new Chart({ id: id("errors"), title: "errors/s by backend", lines, format: rate, axis: plain, total: "sum" }),
      new Chart({ id: id("p99"), title: "p99 by backend", lines, format: ms, total: "max" }),
    ];
    fill(el.lastChild, el.charts.map((c) => c.el));
    el.chartKey = key;
  }
  const cols = backends.map((b) => history.get("backend", b.address, p.name));
  const col = (f) => cols.map((c) => c?.[f] ?? history.time.map(() => null));
  const errors = cols.map((c) => (c ? c.status_5xx.map((v, i) => (v === null ? null : v + (c.no_response[i] ?? 0))) : history.time.map(() => null)));
  el.charts[0].setData(history.time, ...col("rps"));
  el.charts[1].setData(history.time, ...errors);
  el.charts[2].setData(history.time, ...col("p99_ms"));
}

function updatePool(el, p, ctx) {
  const { history, config, tables, onAction, status } = ctx;
  const doc = config?.pools?.find((x) => x.name === p.name);
  const backends = statusBackends(p);
  const up = backends.filter((b) => !isDown(b) && b.state !== "disabled").length;
  const cols = backends.map((b) => history.get("backend", b.address, p.name));
  const sent = cols.reduce((sum, c) => sum + (Number.isNaN(history.recent(c, "rps")) ? 0 : history.recent(c, "rps")), 0);
  const hc = doc?.health_check;
  refill(el.firstChild,
    h("h3", {}, p.name), h("span", { class: "tag" }, p.algorithm ?? doc?.algorithm ?? ""),
    doc?.hash_on ? h("span", { class: "tag" }, `hash on ${doc.hash_on}`) : null,
    h("span", { class: "muted small" }, hc ? `${hc.type ?? "tcp"} check every ${ms(hc.interval_ms ?? 2000)}` : "no active health check"),
    hc && status.cluster ? h("span", { class: "tag", title: "a backend is down when this many of the nodes checking it vote down" },
      `cluster verdict: ${hc.cluster_quorum ?? "majority"}`) : null,
    h("span", { class: "stats" },
      stat("up", `${up}/${backends.length}`), stat("req/s", rate(sent)),
      stat("ejections", count(backends.reduce((n, b) => n + (b.ejections_total ?? 0), 0)))));
  const table = tables.get(p.name);
  refill(el.querySelector(".share-slot"), table ? shareBar(table, (addr) => colorOf(backends.findIndex((b) => b.address === addr))) : null);
  const tbody = el.querySelector("tbody");
  keyed(tbody, backends.map((b, i) => ({ b, i })), ({ b }) => b.address, ({ b }) => row(p.name, b),
    (tr, { b, i }) => updateRow(tr, p.name, b, i, cols[i], history, table ? shareOf(table, b.address) : undefined, onAction));
  updateCharts(el, p, history);
}

/** Renders (or refreshes) the Pools view. `ctx`: { status, history, config, tables, onAction }. */
export function renderPools(root, ctx) {
  const pools = ctx.status.pools ?? [];
  root.querySelector(".empty")?.remove();
  keyed(root, pools, (p) => p.name, poolCard, (el, p) => updatePool(el, p, ctx), (el) => el.charts.forEach((c) => c.destroy()));
  if (pools.length === 0) root.append(h("p", { class: "empty" }, "No pools in the config."));
}
