/**
 * Where a PrefixMirror keeps what it applied: the keys under one prefix and the etcd revision they
 * stand at, changed only together (ETCD-NOTES §6.3: `applied_rev` is written in the same transaction
 * as the rows). MemorySink holds them in a Map; SqliteSink (sqlite-sink.ts) in a database file, so a
 * node restarts on its last applied state.
 */
import type { KeyValue, WatchEvent } from "./etcd/index.ts";

/** What a sink last applied: revision 0 and cluster "" before the first sync. */
export interface SyncState {
  appliedRevision: number;
  clusterId: string;
}

export interface MirrorSink {
  /**
   * True for a cache the mirror writes a watch batch to after its consumer (onChange) took it, off
   * the consumer's path (SqliteSink: a node restarts on it); false for a sink the consumer reads,
   * written before it hears of the batch (MemorySink: the registry and health views).
   */
  readonly writeBehind: boolean;
  /** The persisted state; read at every (re)connect. */
  state(): SyncState;
  /** Applies one watch response's events (in order) and sets appliedRevision = `revision`, atomically. */
  applyEvents(events: readonly WatchEvent[], revision: number, clusterId: string): void;
  /** Moves appliedRevision forward (a progress notification: nothing under the prefix changed). */
  advance(revision: number, clusterId: string): void;
  /**
   * Makes the content exactly `kvs` (read at `revision`) and sets appliedRevision = `revision`,
   * atomically; returns the keys that were added, changed or removed.
   */
  replace(kvs: readonly KeyValue[], revision: number, clusterId: string): string[];
  /** One key, or undefined. */
  get(key: string): KeyValue | undefined;
  /** Every key, sorted by key. */
  entries(): KeyValue[];
}

/** True when two versions of a key hold the same thing (same write and same bytes). */
export function sameKv(a: KeyValue, b: KeyValue): boolean {
  return a.modRevision === b.modRevision && a.createRevision === b.createRevision && Buffer.from(a.value).equals(Buffer.from(b.value));
}

/** A sink in memory: for the registry and health views, and for tests. `eventsApplied` counts events. */
export class MemorySink implements MirrorSink {
  readonly writeBehind = false;
  private readonly kvs = new Map<string, KeyValue>();
  private sync: SyncState = { appliedRevision: 0, clusterId: "" };
  /** Events applied since creation (a resync does not count). */
  eventsApplied = 0;

  state(): SyncState {
    return { ...this.sync };
  }

  applyEvents(events: readonly WatchEvent[], revision: number, clusterId: string): void {
    for (const e of events) {
      if (e.type === "DELETE") this.kvs.delete(e.kv.key);
      else this.kvs.set(e.kv.key, e.kv);
      this.eventsApplied++;
    }
    this.sync = { appliedRevision: revision, clusterId };
  }

  advance(revision: number, clusterId: string): void {
    this.sync = { appliedRevision: revision, clusterId };
  }

  replace(kvs: readonly KeyValue[], revision: number, clusterId: string): string[] {
    const changed: string[] = [];
    const fresh = new Map(kvs.map((kv) => [kv.key, kv]));
    for (const key of this.kvs.keys()) if (!fresh.has(key)) changed.push(key);
    for (const kv of kvs) {
      const old = this.kvs.get(kv.key);
      if (!old || !sameKv(old, kv)) changed.push(kv.key);
    }
    this.kvs.clear();
    for (const kv of kvs) this.kvs.set(kv.key, kv);
    this.sync = { appliedRevision: revision, clusterId };
    return changed;
  }

  get(key: string): KeyValue | undefined {
    return this.kvs.get(key);
  }

  entries(): KeyValue[] {
    return [...this.kvs.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
