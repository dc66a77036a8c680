/** @module The cluster layer: etcd client, prefix mirrors, node registry under a lease, shared health votes, config layout. */
export * from "./etcd/index.ts";
export { MemorySink, sameKv, type MirrorSink, type SyncState } from "./mirror-sink.ts";
export { openSqliteSink, SqliteSink } from "./sqlite-sink.ts";
export { PrefixMirror, type MirrorChange, type MirrorPhase, type MirrorStatus, type PrefixMirrorOptions } from "./prefix-mirror.ts";
export { clusterKeys, DEFAULT_ROOT, type ClusterKeys } from "./keys.ts";
export { LeasedKeys, type LeasedKeysOptions, type LeasedKeysStatus } from "./leased-keys.ts";
export { decodeNode, listNodes, NodeRegistry, type NodeRecord, type NodeRegistryOptions, type NodeView } from "./node-registry.ts";
export { decodeVotes, HealthPublisher, type Vote } from "./health-votes.ts";
export { backendKey, clusterVerdicts, isDown, type BackendVerdict, type QuorumRule } from "./verdict.ts";
