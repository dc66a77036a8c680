/**
 * The cluster's verdict on each backend from the nodes' votes: a pure function, so every node that
 * holds the same votes (the same mirror revision) derives the same verdicts and builds the same
 * selectors and Maglev tables. By default a backend is down when a strict majority of the nodes
 * that check it say so; `health_check.cluster_quorum` may choose another rule.
 */
import type { Vote } from "./health-votes.ts";

/**
 * When a backend is down, given V nodes voting on it and D of them saying down:
 * - "majority": D > V/2 (a tie keeps it up)
 * - "any": D ≥ 1 (the most cautious)
 * - "all": D = V
 * - a number N ≥ 1: D ≥ min(N, V) (so a cluster smaller than N can still mark a backend down)
 */
export type QuorumRule = "majority" | "any" | "all" | number;

export interface BackendVerdict {
  pool: string;
  address: string;
  healthy: boolean;
  /** Nodes voting down / up, each sorted by name. */
  down: string[];
  up: string[];
}

/** True when `downVotes` of `voters` make a backend down under `rule`. No voters: never down. */
export function isDown(downVotes: number, voters: number, rule: QuorumRule): boolean {
  if (voters === 0) return false;
  if (rule === "majority") return downVotes * 2 > voters;
  if (rule === "any") return downVotes >= 1;
  if (rule === "all") return downVotes === voters;
  return downVotes >= Math.min(Math.max(1, Math.floor(rule)), voters);
}

/** The key verdicts are indexed by. */
export const backendKey = (pool: string, address: string) => `${pool}\u0000${address}`;

/**
 * One verdict per backend that has at least one vote, keyed by backendKey(pool, address). A backend
 * nobody votes on has no verdict: the caller treats it as its checks (or their absence) say.
 */
export function clusterVerdicts(votes: readonly Vote[], ruleOf: (pool: string) => QuorumRule = () => "majority"): Map<string, BackendVerdict> {
  const out = new Map<string, BackendVerdict>();
  for (const v of votes) {
    const k = backendKey(v.pool, v.address);
    let b = out.get(k);
    if (!b) out.set(k, (b = { pool: v.pool, address: v.address, healthy: true, down: [], up: [] }));
    (v.healthy ? b.up : b.down).push(v.node);
  }
  for (const b of out.values()) {
    b.down.sort();
    b.up.sort();
    b.healthy = !isDown(b.down.length, b.down.length + b.up.length, ruleOf(b.pool));
  }
  return out;
}
