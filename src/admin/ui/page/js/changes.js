// Changes: the config's revision history, newest first: when, who or what made it (API call, config
// file, SIGHUP, cluster node), and its diff; the revision this node serves is marked current. On a
// cluster node, the live nodes above it: the revision each applied, its lag, a refused revision's why.

import { revisionEntry } from "./adapt.js";
import { nodesPanel } from "./cluster.js";
import { h, refill } from "./dom.js";
import { ago } from "./format.js";

/** added / removed / changed, for the diff line's colour. */
function kindOf(line) {
  if (/ added$/.test(line) || / set to /.test(line)) return "added";
  if (/ removed$/.test(line)) return "removed";
  return "changed";
}

function entryView(e, current) {
  const isCurrent = e.revision === current;
  return h("div", { class: `revision${isCurrent ? " current" : ""}`, "data-revision": e.revision },
    h("div", {},
      h("b", {}, `revision ${e.revision}`), " ",
      isCurrent ? h("span", { class: "pill active" }, "current") : null, " ",
      e.source ? h("span", { class: "tag", "data-source": e.source }, e.source) : null, " ",
      h("span", { class: "who" }, e.who), " ",
      e.node ? [h("span", { class: "muted small" }, `on ${e.node}`), " "] : null,
      h("span", { class: "muted small", title: e.at }, ago(e.at))),
    e.diff.length === 0 ? h("div", { class: "muted small" }, "no diff recorded")
      : h("ul", { class: "diff" }, e.diff.map((line) => h("li", { class: kindOf(line) }, line)),
        e.more > 0 ? h("li", { class: "muted" }, `… and ${e.more} more`) : null));
}

/**
 * Renders the Changes view: `revisions` as GET /v1/revisions lists them, `status` for the current
 * one, `cluster` (GET /v1/cluster, a cluster node only) for every node's revision.
 */
export function renderChanges(root, { revisions, status, cluster }) {
  if (!revisions) {
    refill(root, h("p", { class: "empty" }, "Loading…"));
    return;
  }
  const current = status.revision;
  const head = h("div", { class: "panel-head" }, h("h2", {}, "Changes"),
    h("span", { class: "muted" }, `this node serves revision ${current ?? "–"}`,
      status.stored_revision !== current ? `; the store holds ${status.stored_revision}` : ""));
  refill(root, status.cluster ? nodesPanel(cluster) : null, h("div", { class: "panel" }, head,
    revisions.length === 0 ? h("p", { class: "empty" }, "No revisions yet.")
      : revisions.map((e) => entryView(revisionEntry(e), current))));
}
