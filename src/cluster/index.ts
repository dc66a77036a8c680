/** @module The cluster layer: etcd client, prefix mirrors, node registry under a lease, shared health votes, config layout. */
export * from "./etcd/index.ts";
export { MemorySink, sameKv, type MirrorSink, type SyncState } from "./mirror-sink.ts";
export { openSqliteSink, SqliteSink } from "./sqlite-sink.ts";
export { PrefixMirror, type PrefixMirrorOptions } from "./prefix-mirror.ts";
export type { MirrorChange, MirrorPhase, MirrorStatus } from "./mirror-change.ts";
export { clusterKeys, DEFAULT_ROOT, type ClusterKeys } from "./keys.ts";
export { LeasedKeys, type LeasedKeysOptions, type LeasedKeysStatus } from "./leased-keys.ts";
export { decodeAck, decodeNode, listNodes, NodeRegistry, type NodeAck, type NodeRecord, type NodeRegistryOptions, type NodeView } from "./node-registry.ts";
export { decodeVotes, HealthPublisher, type Vote } from "./health-votes.ts";
export { backendKey, clusterVerdicts, isDown, type BackendVerdict, type QuorumRule } from "./verdict.ts";
export { COMPRESS_ABOVE, decodeShard, encodeShard, RESOURCE_KINDS, resourceId, SHARD_COUNT, shardOf, type LayoutKind, type Shard, type StoredResource } from "./config-shards.ts";
export { assignPositions, POSITION_GAP } from "./config-positions.ts";
export { childRevisions, resourceRevisions } from "./config-revisions.ts";
export { emptyConfigState, readConfigState, updateConfigState, type ConfigHistoryEntry, type ConfigState } from "./config-state.ts";
export {
  DEFAULT_MAX_REQUEST_BYTES, HISTORY_KEEP, planConfigWrite, writeConfig, type ConfigPlan, type ConfigWriteOptions, type ConfigWriteResult,
} from "./config-writer.ts";
export { appliedReport, type AppliedReport } from "./applied-report.ts";
export { ClusterNode } from "./cluster-node.ts";
export type { ClusterNodeOptions, ClusterNodeStatus } from "./cluster-node-options.ts";
export { RevisionWaiters } from "./revision-waiters.ts";
export { ClusterStore } from "./cluster-store.ts";
export { ClusterHealth } from "./cluster-health.ts";
export { clusterView, type ClusterViewDeps } from "./cluster-view.ts";
