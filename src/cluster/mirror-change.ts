/**
 * What a PrefixMirror (prefix-mirror.ts) tells its consumer and its readers: the change each
 * batch or resync made, read before a write-behind sink holds it, and the mirror's status.
 */
import type { KeyValue, WatchEvent } from "./etcd/index.ts";
import type { MirrorSink } from "./mirror-sink.ts";

/**
 * What changed: the events of one etcd revision batch, or a resync's diff. A batch may reach the
 * consumer before the sink (a write-behind sink): read the mirrored values through get() and entries().
 */
export interface MirrorChange {
  kind: "events" | "resync";
  /** The sink's applied revision after the change. */
  revision: number;
  /** Keys added, changed or removed. */
  keys: string[];
  /** The events applied (kind "events" only). */
  events: readonly WatchEvent[];
  /** A key's value as of this change (undefined: absent). */
  get(key: string): KeyValue | undefined;
  /** Every key as of this change, sorted by key. */
  entries(): KeyValue[];
}

export type MirrorPhase = "starting" | "resyncing" | "catching_up" | "in_sync" | "disconnected" | "stopped";

export interface MirrorStatus {
  phase: MirrorPhase;
  appliedRevision: number;
  clusterId: string;
  /** The member the watch is (or was last) open on. */
  endpoint: string;
  lastError: string;
  resyncs: number;
  reconnects: number;
  /** Events at or below the applied revision that arrived anyway and were dropped (must stay 0). */
  duplicatesDropped: number;
}


/** The change of one watch batch, read before the sink holds it: the batch's values over the sink's. */
export function batchChange(sink: MirrorSink, events: readonly WatchEvent[], revision: number, keys: string[]): MirrorChange {
  const latest = new Map<string, KeyValue | undefined>();
  for (const e of events) latest.set(e.kv.key, e.type === "DELETE" ? undefined : e.kv);
  return {
    kind: "events",
    revision,
    keys,
    events,
    get: (k) => (latest.has(k) ? latest.get(k) : sink.get(k)),
    entries: () => {
      const out = sink.entries().filter((kv) => !latest.has(kv.key));
      for (const kv of latest.values()) if (kv) out.push(kv);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
  };
}
