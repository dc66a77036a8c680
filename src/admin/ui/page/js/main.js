// The dashboard's loop: once a second (while the tab is visible) read /v1/status and the newest
// seconds of /v1/stats/history, fetch what only changes with the config (the document, hashing
// tables, the revision list) when the revision moves, and redraw the view the hash names.

import { backendAction } from "./actions.js";
import { api, ApiError, token } from "./api.js";
import { initApiDescriptionLink } from "./api-description.js";
import { list } from "./adapt.js";
import { renderChanges } from "./changes.js";
import { History } from "./history.js";
import { notice } from "./notice.js";
import { renderOverview } from "./overview.js";
import { renderPools } from "./pools.js";
import { renderRoutes } from "./routes.js";
import { askToken, initToken } from "./token.js";

const REFRESH_MS = 1000;
const HASHING = new Set(["maglev", "source_ip_hash"]);
const VIEWS = { overview: renderOverview, pools: renderPools, routes: renderRoutes, changes: renderChanges };

const state = {
  status: undefined,
  history: new History(300),
  config: undefined,
  configRevision: undefined,
  tables: new Map(),
  tablesRevision: undefined,
  revisions: undefined,
  revisionsAt: undefined,
  cluster: undefined,
  onAction: (pool, address, action) =>
    backendAction(pool, address, action, () => askToken(true)).then((applied) => applied && refreshNow()),
};
let view = "overview";
let wake;

function currentView() {
  const v = location.hash.slice(1);
  return v in VIEWS ? v : "overview";
}

function render() {
  if (!state.status) return;
  const root = document.getElementById(`view-${view}`);
  VIEWS[view](root, state);
  const s = state.status;
  const node = s.cluster ? `node ${s.cluster.node}${s.cluster.etcd === "connected" ? "" : " (etcd unreachable)"} · ` : "";
  document.getElementById("node-info").textContent = `${node}revision ${s.revision ?? "–"} · ${s.ready ? "ready" : "not ready"}`;
}

function route() {
  view = currentView();
  for (const el of document.querySelectorAll("[data-view]")) el.hidden = el.dataset.view !== view;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.tab === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  render();
  refreshNow();
}

/** Reads what only changes with the config, when the revision this node serves has moved. */
async function readConfigBound(revision) {
  if ((view === "routes" || view === "pools") && state.configRevision !== revision) {
    state.config = (await api("v1/config")).body;
    state.configRevision = revision;
  }
  if (view === "pools" && state.tablesRevision !== revision) {
    const hashing = (state.status.pools ?? []).filter((p) => HASHING.has(p.algorithm));
    const tables = await Promise.all(hashing.map((p) => api(`v1/pools/${encodeURIComponent(p.name)}/table`).then((r) => [p.name, r.body])));
    state.tables = new Map(tables);
    state.tablesRevision = revision;
  }
  if (view === "changes" && (state.revisionsAt !== revision || !state.revisions)) {
    state.revisions = list((await api("v1/revisions?limit=50")).body, "revisions");
    state.revisionsAt = revision;
  }
  // Other nodes' revisions and lag move without this node's: read them every refresh.
  if (view === "changes" && state.status.cluster) state.cluster = (await api("v1/cluster")).body;
}

async function refresh() {
  const [status, history] = await Promise.all([api("v1/status"), api(`v1/stats/history?seconds=${state.history.wanted()}`)]);
  state.status = status.body;
  state.history.merge(history.body);
  await readConfigBound(`${state.status.revision}/${state.status.stored_revision}`);
  render();
  const live = document.getElementById("live");
  live.className = "live ok";
  live.textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    await askToken(token() !== null);
    return;
  }
  const live = document.getElementById("live");
  live.className = "live stale";
  live.textContent = "not updating";
  notice(e instanceof ApiError && e.status === 0
    ? `Cannot reach the node: ${e.message}. Retrying…`
    : `The node answered with an error: ${e.code} ${e.message}`, "bad");
}

function refreshNow() {
  wake?.();
}

async function loop() {
  for (;;) {
    const started = Date.now();
    try {
      await refresh();
      if (document.getElementById("notice").classList.contains("bad")) notice("");
    } catch (e) {
      await failed(e);
    }
    // Sleep until the next second, or until something asks for a refresh now (a write, a new tab).
    await new Promise((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.max(50, REFRESH_MS - (Date.now() - started)));
    });
    // A hidden tab costs the node nothing: wait until it is shown again.
    while (document.hidden) await new Promise((resolve) => document.addEventListener("visibilitychange", resolve, { once: true }));
  }
}

initToken();
initApiDescriptionLink();
addEventListener("hashchange", route);
view = currentView();
for (const el of document.querySelectorAll("[data-view]")) el.hidden = el.dataset.view !== view;
route();
loop();
