/**
 * Who has applied a config revision (`?wait=applied`): from the live nodes' records, each node has
 * applied it, refused it (a NACK at or after it, with the node's reason), or not answered yet.
 */
import type { NodeView } from "./node-registry.ts";

export interface AppliedReport {
  revision: number;
  applied: string[];
  refused: { node: string; revision: number; reason: string }[];
  /** Live nodes that have neither applied nor refused it (yet). */
  pending: string[];
}

/** The report for `revision` over `nodes` (names in the order given). */
export function appliedReport(nodes: readonly NodeView[], revision: number): AppliedReport {
  const report: AppliedReport = { revision, applied: [], refused: [], pending: [] };
  for (const n of nodes) {
    if (n.applied_revision >= revision) report.applied.push(n.name);
    else if (n.nack && n.nack.revision >= revision) report.refused.push({ node: n.name, revision: n.nack.revision, reason: n.nack.reason });
    else report.pending.push(n.name);
  }
  return report;
}
