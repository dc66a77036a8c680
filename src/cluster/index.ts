/** @module The cluster layer: etcd client, prefix mirrors, node registry under a lease, shared health votes, config layout. */
export * from "./etcd/index.ts";
export { MemorySink, sameKv, type MirrorSink, type SyncState } from "./mirror-sink.ts";
export { openSqliteSink, SqliteSink } from "./sqlite-sink.ts";
export { PrefixMirror, type MirrorChange, type MirrorPhase, type MirrorStatus, type PrefixMirrorOptions } from "./prefix-mirror.ts";
