// What a cluster node adds to the views: each backend's votes (which live node's check says up,
// which down) beside the verdict the data plane uses, and each node's applied revision and lag
// (GET /v1/cluster), a refused revision's reason included. A standalone node shows none of it.

import { h, refill } from "./dom.js";

/** One backend's votes, node by node: green up, red down; this node's own check is one of them. */
export function votesView(b) {
  if (!b.votes) return null;
  const vote = (node, up) => h("span", { class: `vote ${up ? "up" : "down"}`, "data-vote": up ? "up" : "down", "data-node": node,
    title: `${node}: ${up ? "up" : "down"}` }, node);
  return h("span", { class: "votes", title: `the cluster's verdict from these votes; this node's own check: ${b.health_here ?? "unknown"}` },
    b.votes.up.map((n) => vote(n, true)), b.votes.down.map((n) => vote(n, false)));
}

const COLUMNS = ["node", "applied revision", "lag", ""];

function nodeRow(n) {
  return h("tr", { "data-node": n.name }, COLUMNS.map((_, i) => h("td", { class: i === 1 || i === 2 ? "num" : "" })));
}

function updateNode(tr, n) {
  const c = tr.children;
  tr.className = n.nack || n.lag > 0 ? "down" : "";
  refill(c[0], h("code", {}, n.name), n.self ? [" ", h("span", { class: "tag" }, "this node")] : null);
  refill(c[1], String(n.applied_revision));
  refill(c[2], h("span", { class: `pill ${n.lag === 0 ? "healthy" : "draining"}`, "data-lag": n.lag }, n.lag === 0 ? "in sync" : `${n.lag} behind`));
  refill(c[3], n.nack ? h("span", { class: "error small", "data-nack": n.nack.revision }, `refused revision ${n.nack.revision}: ${n.nack.reason}`) : "");
}

/** The live nodes of the cluster with the revision each applied and its lag; null on a standalone node. */
export function nodesPanel(cluster) {
  if (cluster?.mode !== "cluster") return null;
  const tbody = h("tbody", {}, cluster.nodes.map((n) => {
    const tr = nodeRow(n);
    updateNode(tr, n);
    return tr;
  }));
  return h("div", { class: "panel", id: "cluster-nodes" },
    h("div", { class: "panel-head" }, h("h3", {}, "Cluster nodes"),
      h("span", { class: "muted small" }, `cluster revision ${cluster.revision}; etcd ${cluster.etcd}, config from ${cluster.config_from}`)),
    h("table", {}, h("thead", {}, h("tr", {}, COLUMNS.map((t, i) => h("th", { class: i === 1 || i === 2 ? "num" : "" }, t)))), tbody));
}
