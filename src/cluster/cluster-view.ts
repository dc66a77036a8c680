/**
 * What the admin API shows of a cluster node (its ClusterView): GET /v1/cluster's body, the short
 * summary /v1/status and /readyz carry, ?wait=applied's report, and each backend's verdict with
 * the votes behind it. Read from the node's mirrors: answers while etcd is away, saying so.
 */
import type { ClusterHealth } from "./cluster-health.ts";
import type { ClusterNode } from "./cluster-node.ts";

export interface ClusterViewDeps {
  node: ClusterNode;
  health: ClusterHealth;
  /** The config revision this node serves (its published snapshot's), undefined before the first. */
  serving(): number | undefined;
}

/** How long GET /v1/cluster waits for a stopped ack feed to read etcd's acks (then: the last ones read). */
const FRESH_ACKS_MS = 500;

/** A node's standing with etcd: connected while its config watch is open, the config from etcd once in sync. */
function standing(node: ClusterNode) {
  const phase = node.configMirror.status.phase;
  return {
    etcd: phase === "in_sync" || phase === "catching_up" ? ("connected" as const) : ("unreachable" as const),
    config_from: phase === "in_sync" ? ("etcd" as const) : ("mirror" as const),
  };
}

/** The ClusterView of `deps.node`. */
export function clusterView(deps: ClusterViewDeps) {
  const { node, health } = deps;
  const summary = () => ({
    node: node.opts.name,
    ...standing(node),
    registered: node.status().registered,
    active_health: "cluster" as const,
    outlier_ejection: "local" as const,
  });
  return {
    summary,
    describe: async () => {
      // Bounded well under the second another node's start gives this answer (a live twin's check).
      await node.freshAcks(FRESH_ACKS_MS);
      const st = node.status();
      const self = node.registry.current();
      return {
        ...summary(),
        revision: node.config().revision,
        serving_revision: deps.serving() ?? null,
        ...(self.nack ? { nack: self.nack } : {}),
        endpoints: [...st.endpoints],
        member: st.member,
        ...(st.config.lastError && st.config.phase !== "in_sync" ? { error: st.config.lastError } : {}),
        ...(st.registrationError && !st.registered ? { registration_error: st.registrationError } : {}),
        lease: { id: node.leased.leaseId, ttl_s: node.leased.status.ttlS, grants: node.leased.status.grants },
        mirror: {
          phase: st.config.phase,
          etcd_revision: st.config.appliedRevision,
          revisions_applied: st.revisionsApplied,
          revisions_repeated: st.revisionsRepeated,
          duplicates_dropped: st.config.duplicatesDropped,
          resyncs: st.config.resyncs,
          reconnects: st.config.reconnects,
        },
        nodes: node.nodes().map((n) => ({ ...n, self: n.name === st.name })),
        verdicts: health.all(),
      };
    },
    waitApplied: async (revision: number, timeoutMs: number) => {
      const r = await node.waitApplied(revision, timeoutMs);
      return { revision: r.revision, applied: r.applied, refused: r.refused, timed_out: r.pending };
    },
    backend: (pool: string, address: string) => {
      const v = health.get(pool, address);
      return v ? { healthy: v.healthy, down: v.down, up: v.up } : undefined;
    },
  };
}
