/**
 * etcd v3 values as Fulcrum holds them, decoded from the JSON gateway (ETCD-NOTES §1.2): keys are
 * UTF-8 strings, values raw bytes, revisions plain numbers (they stay far below 2^53), lease IDs
 * strings (they do not). Every field the gateway omits when zero is present here with its default.
 */

/** The header etcd puts on every response. `revision` is the store revision when it answered. */
export interface Header {
  clusterId: string;
  memberId: string;
  revision: number;
  raftTerm: number;
}

/** One key at one revision. A DELETE event's kv has only `key` and `modRevision` set. */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  /** "0" when the key has no lease. */
  lease: string;
}

export interface RangeResult {
  header: Header;
  kvs: KeyValue[];
  /** True when `limit` cut the result short. */
  more: boolean;
  /** Keys in the whole range (not just the returned page). */
  count: number;
}

export type EventType = "PUT" | "DELETE";

export interface WatchEvent {
  type: EventType;
  kv: KeyValue;
  prevKv?: KeyValue;
}

/** One message of a watch stream: the create answer, a batch of events, a progress notification, or a cancel. */
export interface WatchResponse {
  header: Header;
  watchId: string;
  created: boolean;
  canceled: boolean;
  /** Set (non-zero) when the watch was canceled because its start revision was compacted. */
  compactRevision: number;
  cancelReason: string;
  events: WatchEvent[];
}

/** Options of a range read. `prefix` makes `key` a prefix; `revision` pins the read (0 = newest). */
export interface RangeOptions {
  prefix?: boolean;
  /** Explicit exclusive end of the range (wins over `prefix`). */
  rangeEnd?: Uint8Array;
  revision?: number;
  limit?: number;
  countOnly?: boolean;
  keysOnly?: boolean;
  /** A serializable read may be served stale by a member without quorum; default linearizable. */
  serializable?: boolean;
}
