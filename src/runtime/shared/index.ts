/**
 * @module Memory shared by every worker of a node, changed with Atomics: per-node gauges with caps
 * (NodeCounters, slots handed out by the control part's SlotBook) and per-key state in a
 * fixed-size table (KeyTable; ClientCounts counts per client, e.g. connections per address).
 */
export { NodeCounters, type NodeCountersLayout } from "./node-counters.ts";
export { SlotBook } from "./slot-book.ts";
export { KeyTable, WAYS, type EvictPolicy, type KeyTableLayout } from "./key-table.ts";
export { ClientCounts, type AcquireResult } from "./client-counts.ts";
export { keyHi, keyLo, scopeOf } from "./client-key.ts";
