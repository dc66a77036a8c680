/**
 * Where Fulcrum keeps things in etcd (DESIGN.md, Cluster). Config, the node registry and health votes
 * live under separate prefixes and are watched separately, so lease and health churn never replays
 * or resyncs the config (ETCD-NOTES §6.1). The root may differ per Fulcrum cluster sharing one etcd.
 *
 *   <root>config/revision            the config revision counter (decimal), CAS'd by every config write
 *   <root>config/shards/NN           the config resources, hashed into a fixed number of shards
 *   <root>config/history/NNNNNNNNNNNN  one entry per config revision (the newest 1,000 kept)
 *   <root>nodes/<node>               a node's registration, under its lease
 *   <root>acks/<node>                the config revision a node applied (or refused), under its lease
 *   <root>health/<node>/<pool>/<address>  a node's active-check verdict on one backend, under its lease
 */

export const DEFAULT_ROOT = "/fulcrum/v1/";

export interface ClusterKeys {
  root: string;
  config: string;
  nodes: string;
  acks: string;
  health: string;
  configRevision: string;
  configShards: string;
  configHistory: string;
  node(name: string): string;
  ack(name: string): string;
  shard(index: number): string;
  history(revision: number): string;
  vote(node: string, pool: string, address: string): string;
}

/** The key layout under `root` (must start and end with "/"). */
export function clusterKeys(root = DEFAULT_ROOT): ClusterKeys {
  const r = root.endsWith("/") ? root : `${root}/`;
  const config = `${r}config/`;
  return {
    root: r,
    config,
    nodes: `${r}nodes/`,
    acks: `${r}acks/`,
    health: `${r}health/`,
    configRevision: `${config}revision`,
    configShards: `${config}shards/`,
    configHistory: `${config}history/`,
    node: (name) => `${r}nodes/${name}`,
    ack: (name) => `${r}acks/${name}`,
    shard: (i) => `${config}shards/${String(i).padStart(2, "0")}`,
    // Zero-padded so the history sorts by revision in etcd's byte order.
    history: (rev) => `${config}history/${String(rev).padStart(12, "0")}`,
    vote: (node, pool, address) => `${r}health/${node}/${pool}/${address}`,
  };
}
