/**
 * @module Memory shared by every worker of a node, changed with Atomics: per-node gauges with caps
 * (NodeCounters, slots handed out by the control part's SlotBook) and per-key state in a
 * fixed-size table (KeyTable; ClientCounts counts per client, e.g. connections per address). A
 * worker reaches its node's through NodeShare (DataPlaneOptions.worker.node): `node.clients` is the
 * node-wide per-client table, reclaimed when a worker dies. A node of one thread has no NodeShare:
 * use ClientCounts.create(entries, 1, false) there.
 */
export { NodeCounters, type NodeCountersLayout } from "./node-counters.ts";
export { SlotBook } from "./slot-book.ts";
export { KeyTable, WAYS, type EvictPolicy, type KeyTableLayout } from "./key-table.ts";
export { ClientCounts, type AcquireResult } from "./client-counts.ts";
export { keyHi, keyLo, scopeOf } from "./client-key.ts";
export { NodeShare, slotNames, CLIENT_ENTRIES, type NodeShareLayout } from "./node-share.ts";
