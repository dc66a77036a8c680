/**
 * A MirrorSink in SQLite (bun:sqlite): the mirrored keys of one prefix in `cluster_kv` and the
 * revision they stand at in `cluster_sync`, both written in one transaction, so what a node applied
 * survives kill -9 and it restarts on it while etcd is away. WAL with synchronous NORMAL: a power
 * loss may drop the newest transactions, but rows and revision go together, so the mirror restarts
 * on an older consistent state and etcd replays the rest. An fsync per watch batch would buy
 * nothing: measured here it raised the p99 of put → applied from 18 to 189 ms. The tables are its own;
 * any number of prefixes may share one database file.
 */
import { Database } from "bun:sqlite";
import { LbError } from "../errors.ts";
import type { KeyValue, WatchEvent } from "./etcd/index.ts";
import { sameKv, type MirrorSink, type SyncState } from "./mirror-sink.ts";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS cluster_kv (
     prefix TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, create_revision INTEGER NOT NULL,
     mod_revision INTEGER NOT NULL, version INTEGER NOT NULL, lease TEXT NOT NULL,
     PRIMARY KEY (prefix, key)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS cluster_sync (
     prefix TEXT PRIMARY KEY, cluster_id TEXT NOT NULL, applied_revision INTEGER NOT NULL)`,
];

interface Row {
  key: string;
  value: Uint8Array;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease: string;
}

const toKv = (r: Row): KeyValue => ({
  key: r.key,
  value: new Uint8Array(r.value),
  createRevision: r.create_revision,
  modRevision: r.mod_revision,
  version: r.version,
  lease: r.lease,
});

/** Opens `path` (created if missing) and mirrors `prefix` into it. Throws INTERNAL if it cannot. */
export function openSqliteSink(path: string, prefix: string): SqliteSink {
  try {
    const db = new Database(path, { create: true, strict: true });
    db.run("PRAGMA busy_timeout = 5000");
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    for (const s of SCHEMA) db.run(s);
    return new SqliteSink(db, prefix, true);
  } catch (e) {
    throw new LbError("INTERNAL", `cluster mirror: cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export class SqliteSink implements MirrorSink {
  readonly writeBehind = true;
  private readonly upsert;
  private readonly remove;
  private readonly setSync;

  /** Uses an open database (its tables are created if missing); `owned` closes it on close(). */
  constructor(
    private readonly db: Database,
    private readonly prefix: string,
    private readonly owned = false,
  ) {
    for (const s of SCHEMA) db.run(s);
    this.upsert = db.prepare(
      `INSERT INTO cluster_kv (prefix, key, value, create_revision, mod_revision, version, lease)
       VALUES ($prefix, $key, $value, $c, $m, $v, $lease)
       ON CONFLICT (prefix, key) DO UPDATE SET value = excluded.value, create_revision = excluded.create_revision,
         mod_revision = excluded.mod_revision, version = excluded.version, lease = excluded.lease`,
    );
    this.remove = db.prepare("DELETE FROM cluster_kv WHERE prefix = $prefix AND key = $key");
    this.setSync = db.prepare(
      `INSERT INTO cluster_sync (prefix, cluster_id, applied_revision) VALUES ($prefix, $cluster, $rev)
       ON CONFLICT (prefix) DO UPDATE SET cluster_id = excluded.cluster_id, applied_revision = excluded.applied_revision`,
    );
  }

  state(): SyncState {
    const r = this.db.query("SELECT cluster_id, applied_revision FROM cluster_sync WHERE prefix = ?").get(this.prefix) as
      | { cluster_id: string; applied_revision: number }
      | null;
    return r ? { appliedRevision: r.applied_revision, clusterId: r.cluster_id } : { appliedRevision: 0, clusterId: "" };
  }

  applyEvents(events: readonly WatchEvent[], revision: number, clusterId: string): void {
    this.db.transaction(() => {
      for (const e of events) {
        if (e.type === "DELETE") this.remove.run({ prefix: this.prefix, key: e.kv.key });
        else this.put(e.kv);
      }
      this.setSync.run({ prefix: this.prefix, cluster: clusterId, rev: revision });
    })();
  }

  advance(revision: number, clusterId: string): void {
    this.setSync.run({ prefix: this.prefix, cluster: clusterId, rev: revision });
  }

  replace(kvs: readonly KeyValue[], revision: number, clusterId: string): string[] {
    return this.db.transaction(() => {
      const old = new Map(this.entries().map((kv) => [kv.key, kv]));
      const changed: string[] = [];
      for (const kv of kvs) {
        const was = old.get(kv.key);
        old.delete(kv.key);
        if (was && sameKv(was, kv)) continue;
        this.put(kv);
        changed.push(kv.key);
      }
      for (const key of old.keys()) {
        this.remove.run({ prefix: this.prefix, key });
        changed.push(key);
      }
      this.setSync.run({ prefix: this.prefix, cluster: clusterId, rev: revision });
      return changed;
    })();
  }

  get(key: string): KeyValue | undefined {
    const r = this.db.query("SELECT * FROM cluster_kv WHERE prefix = ? AND key = ?").get(this.prefix, key) as Row | null;
    return r ? toKv(r) : undefined;
  }

  entries(): KeyValue[] {
    return (this.db.query("SELECT * FROM cluster_kv WHERE prefix = ? ORDER BY key").all(this.prefix) as Row[]).map(toKv);
  }

  /** Closes the database if this sink opened it. */
  close(): void {
    if (this.owned) this.db.close();
  }

  private put(kv: KeyValue): void {
    this.upsert.run({
      prefix: this.prefix,
      key: kv.key,
      value: kv.value,
      c: kv.createRevision,
      m: kv.modRevision,
      v: kv.version,
      lease: kv.lease,
    });
  }
}
