// Routes: every listener's routing table in match order (first match wins), each rule with where it
// sends a request and its traffic, then the listener's default. L4 listeners show their SNI rules
// (tls_passthrough) or their one pool. "Where does this request go" is answered by reading down.

import { h, keyed, refill } from "./dom.js";
import { ms, rate } from "./format.js";

function kv(obj) {
  return Object.entries(obj ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("|") : v}`).join(", ");
}

/** A route's match as short code chips; "any request" when it has none. */
function matchOf(m = {}) {
  const chips = [];
  if (m.host) chips.push(`host ${m.host}`);
  if (m.path) chips.push(`path = ${m.path}`);
  if (m.path_prefix) chips.push(`path ${m.path_prefix}/*`.replace("//*", "/*"));
  if (m.path_regex) chips.push(`path ~ ${m.path_regex}`);
  if (m.methods?.length) chips.push(m.methods.join(" "));
  if (m.headers && Object.keys(m.headers).length) chips.push(`headers ${kv(m.headers)}`);
  if (m.query && Object.keys(m.query).length) chips.push(`query ${kv(m.query)}`);
  return chips.length === 0 ? h("span", { class: "muted" }, "any request") : chips.map((c) => h("code", {}, c));
}

/** Where a route sends its requests, with what it changes on the way. */
function targetOf(r) {
  if (r.redirect) {
    const d = r.redirect;
    return `redirect ${d.status ?? 302} → ${d.scheme ?? "(same scheme)"}://${d.host ?? "(same host)"}${d.port ? `:${d.port}` : ""}`;
  }
  const extra = [];
  if (r.rewrite?.path_prefix !== undefined) extra.push(`prefix → ${r.rewrite.path_prefix}`);
  if (r.retries?.attempts) extra.push(`${r.retries.attempts} attempts`);
  if (r.timeout_ms) extra.push(`timeout ${ms(r.timeout_ms)}`);
  return [h("a", { href: "#pools" }, `pool ${r.pool}`), extra.length ? h("span", { class: "muted small" }, ` (${extra.join(", ")})`) : null];
}

function trafficCells(history, cols) {
  return [
    h("td", { class: "num" }, rate(history.recent(cols, "rps"))),
    h("td", { class: "num" }, rate(history.recent(cols, "status_5xx") + history.recent(cols, "no_response"))),
    h("td", { class: "num" }, ms(history.latest(cols, "p50_ms"))),
    h("td", { class: "num" }, ms(history.latest(cols, "p99_ms"))),
  ];
}

function rows(l, history) {
  if (l.protocol === "http" || l.protocol === "https") {
    const routes = (l.routes ?? []).map((r, i) =>
      h("tr", { "data-route": `${l.name}/${r.name}` }, h("td", { class: "num" }, String(i + 1)), h("td", {}, h("b", {}, r.name)),
        h("td", { class: "match" }, matchOf(r.match)), h("td", {}, targetOf(r)), trafficCells(history, history.get("route", r.name, l.name))));
    const fallback = h("tr", { class: "muted" }, h("td", {}), h("td", {}, "(default)"), h("td", {}, "no route matched"),
      h("td", {}, l.pool ? h("a", { href: "#pools" }, `pool ${l.pool}`) : "404 NO_ROUTE"), h("td", { colspan: 4 }));
    return [...routes, fallback];
  }
  const sni = (l.sni ?? []).map((rule, i) =>
    h("tr", {}, h("td", { class: "num" }, String(i + 1)), h("td", {}, "SNI"), h("td", { class: "match" }, rule.names.map((n) => h("code", {}, n))),
      h("td", {}, h("a", { href: "#pools" }, `pool ${rule.pool}`)), h("td", { colspan: 4 })));
  return [...sni, h("tr", { class: sni.length ? "muted" : "" }, h("td", {}), h("td", {}, sni.length ? "(default)" : "all"),
    h("td", {}, sni.length ? "no SNI rule matched" : `every ${l.protocol === "udp" ? "datagram flow" : "connection"}`),
    h("td", {}, l.pool ? h("a", { href: "#pools" }, `pool ${l.pool}`) : "closed"), h("td", { colspan: 4 }))];
}

function card() {
  return h("div", { class: "panel" }, h("div", { class: "panel-head" }),
    h("table", {}, h("thead", {}, h("tr", {}, ["#", "route", "match", "goes to", "req/s", "errors/s", "p50", "p99"]
      .map((t, i) => h("th", { class: i === 0 || i >= 4 ? "num" : "" }, t)))), h("tbody", {})));
}

/** Renders (or refreshes) the Routes view from the config document and the history. */
export function renderRoutes(root, { config, status, history }) {
  const listeners = config?.listeners ?? [];
  // The bound address (a port-0 listener shows the port it got), else the configured one.
  const bound = new Map((status.listeners ?? []).map((l) => [l.name, l.address]));
  root.querySelector(".empty")?.remove();
  keyed(root, listeners, (l) => l.name, card, (el, l) => {
    refill(el.firstChild, h("h3", {}, l.name), h("span", { class: "tag" }, l.protocol), h("code", {}, bound.get(l.name) ?? l.address),
      h("span", { class: "muted small" }, l.protocol.startsWith("http") ? "first match wins" : ""));
    refill(el.querySelector("tbody"), rows(l, history));
  });
  if (listeners.length === 0) root.append(h("p", { class: "empty" }, config ? "No listeners in the config." : "Loading…"));
}
