/**
 * Shared health for the data plane (its SharedHealth): this node's own active-check verdicts go to
 * etcd as votes (under its lease, written on transitions only), and the verdict it builds from is
 * the cluster's, derived from every live node's votes by the pure clusterVerdicts(). Nodes holding
 * the same votes hold the same verdicts, so they build the same selectors and Maglev tables.
 * Recomputed when the votes change and when the config changes (a pool's cluster_quorum).
 */
import type { ClusterNode } from "./cluster-node.ts";
import { backendKey, type BackendVerdict, type QuorumRule } from "./verdict.ts";

export class ClusterHealth {
  private verdicts = new Map<string, BackendVerdict>();
  private readonly listeners = new Set<(pools: readonly string[]) => void>();
  private readonly unfollow: () => void;

  /** `ruleOf` gives a pool's health_check.cluster_quorum (majority when unset). */
  constructor(
    private readonly node: ClusterNode,
    private readonly ruleOf: (pool: string) => QuorumRule,
  ) {
    this.unfollow = node.onVotesChange(() => this.recompute());
    this.recompute();
  }

  /** The cluster's verdict on a backend (true = up), undefined when no node votes on it. */
  verdict(pool: string, address: string): boolean | undefined {
    return this.verdicts.get(backendKey(pool, address))?.healthy;
  }

  /** The verdict with the votes behind it, or undefined. */
  get(pool: string, address: string): BackendVerdict | undefined {
    return this.verdicts.get(backendKey(pool, address));
  }

  /** Every backend some node votes on, by pool then address. */
  all(): BackendVerdict[] {
    return [...this.verdicts.values()].sort((a, b) => (a.pool === b.pool ? cmp(a.address, b.address) : cmp(a.pool, b.pool)));
  }

  /** Calls `fn` with the pools whose verdicts changed; returns the unsubscribe function. */
  subscribe(fn: (pools: readonly string[]) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** This node's own verdict: published as its vote (undefined: it no longer checks the backend). */
  local(pool: string, address: string, healthy: boolean | undefined, reason?: string): void {
    if (healthy === undefined) this.node.health.forget(pool, address);
    else this.node.health.publish(pool, address, healthy, reason);
  }

  /** Derives the verdicts again; subscribers hear which pools' verdicts changed. */
  recompute(): void {
    const next = this.node.verdicts((pool) => this.ruleOf(pool));
    const changed = new Set<string>();
    for (const [k, v] of next) if (this.verdicts.get(k)?.healthy !== v.healthy) changed.add(v.pool);
    for (const [k, v] of this.verdicts) if (!next.has(k)) changed.add(v.pool);
    this.verdicts = next;
    if (changed.size === 0) return;
    const pools = [...changed];
    for (const l of [...this.listeners]) l(pools);
  }

  stop(): void {
    this.unfollow();
    this.listeners.clear();
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
