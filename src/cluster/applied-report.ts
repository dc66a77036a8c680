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

/**
 * Resolves with the report once no live node is pending on `revision` (each applied or refused
 * it), or at `timeoutMs` with whoever is still pending. `nodes` reads the registry mirror,
 * `onChange` subscribes to its changes (returning the unsubscribe function).
 */
export async function waitForApplied(
  nodes: () => readonly NodeView[],
  onChange: (fn: () => void) => () => void,
  revision: number,
  timeoutMs: number,
): Promise<AppliedReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = appliedReport(nodes(), revision);
    const left = deadline - Date.now();
    if (report.pending.length === 0 || left <= 0) return report;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, left);
      const off = onChange(done);
    });
  }
}
