/**
 * The Store contract: where the declared config lives, at a monotonic revision, with per-resource
 * revisions and a history that says who changed what. Two implementations: SQLite alone (this
 * folder, a standalone node) and etcd with a SQLite mirror (src/cluster, `--cluster`). The apply
 * path (src/control) and the admin API are written against this interface only.
 *
 * Reads are synchronous and served locally (SQLite: the database; etcd: the node's mirror), so a
 * GET never waits on the network. Writes are asynchronous: for etcd a write is one transaction, a
 * network round trip. A store that other writers change behind this node's back (etcd: the other
 * nodes) says so through onChange, and the node then compiles and serves what it holds.
 */
import type { ConfigDoc } from "../config/index.ts";

/**
 * Who made a change: the admin API, a config file, SIGHUP re-reading one. `cluster` stands for a
 * change written into etcd by something other than a Fulcrum node (a history entry without a
 * source Fulcrum knows); a change another node made keeps its own source and names the node.
 */
export type SourceKind = "api" | "file" | "sighup" | "cluster";

/**
 * Where a change came from. `file` is the config file's absolute path for `file` (`start --config`,
 * `apply -f`) and `sighup` (which re-reads the `--config` file), absent otherwise.
 */
export interface ChangeSource {
  source: SourceKind;
  file?: string;
}

/** One acknowledged change: the revision it produced, when (ISO 8601 UTC), who made it, and what changed. */
export interface RevisionEntry extends ChangeSource {
  revision: number;
  at: string;
  summary: string;
  /** In a cluster: the node that took the write (its --node name). */
  node?: string;
}

/**
 * Per-resource revisions, by resourceKey() ("pool/app", "backend/app/10.0.0.1:80",
 * "listener/web", "route/web/api", "certificate/site"): the revision at which that resource, as it
 * reads back, last changed. A pool reads back with its backends and a listener with its routes, so
 * a parent's revision moves whenever a child is added, removed, reordered or changed; a child's
 * moves only when it changes. Every resource of the document has an entry.
 *
 * After a write at revision R they are exactly nextResourceRevisions(before, known, after, R), in
 * both implementations: etcd stores each resource with the config revision that last changed it
 * (and its children's), never etcd's own mod_revision, so an ETag is the same on every node.
 */
export type ResourceRevisions = ReadonlyMap<string, number>;

/** The document at one revision, with the revision of each resource in it. */
export interface StoredConfig {
  /** 0 for an empty new store; otherwise the revision of the last change. */
  revision: number;
  doc: ConfigDoc;
  resources: ResourceRevisions;
}

/** How a write is recorded and on what it is conditional. */
export interface WriteOptions extends ChangeSource {
  /**
   * The revision the caller read and based `doc` on. When the store is no longer at it, the write
   * is refused with PRECONDITION_FAILED and nothing changes. Cluster-wide (etcd) this is one
   * compare in the transaction: two nodes racing on the same revision, exactly one wins.
   */
  expectRevision?: number;
  /** What the change was, for the history (`PATCH /v1/pools/app: pool app: ...`). */
  summary: string;
}

/** The result of a write; `changed: false` means the document equalled the stored one (no bump). */
export interface WriteResult {
  revision: number;
  changed: boolean;
}

/**
 * Where the config lives.
 *
 * Revisions count 1, 2, 3... with every change, never reused, and are the same on every node of
 * a cluster: etcd holds a config revision counter that every write compare-and-swaps in the same
 * transaction (etcd's own store revision, which leases and health votes also advance, is never
 * shown). The caller (src/control) validates a document before writing it and serializes its own
 * read-modify-write cycles; the store guarantees that a conditional write lands only on the
 * revision it names, cluster-wide.
 */
export interface Store {
  /**
   * The whole document at one revision, never half of a write. Synchronous and local (etcd: the
   * mirror, which may trail the cluster by the watch's latency, and is what a node serves from
   * while etcd is unreachable). After write() resolves, read()
   * returns that revision or a later one (read your writes); after write() rejects with
   * PRECONDITION_FAILED, read() returns at least the revision that beat it, so a retry based on a
   * fresh read makes progress.
   */
  read(): StoredConfig;
  /**
   * Replaces the stored document atomically: document, revision, per-resource revisions and a
   * history entry in one transaction, durable before the promise resolves (SQLite: WAL with
   * synchronous FULL; etcd: the transaction committed by a quorum). A document equal to the
   * stored one (key order ignored) changes nothing and resolves `changed: false`. Rejects with
   * PRECONDITION_FAILED (412) when `expectRevision` is given and is not the current revision,
   * INTERNAL when the store fails (etcd also CLUSTER_UNAVAILABLE, 503, when it cannot reach a
   * quorum, and PAYLOAD_TOO_LARGE past etcd's request limit); a rejected write has changed
   * nothing, except a CLUSTER_UNAVAILABLE whose message says etcd did not confirm it (the
   * transaction may still have landed whole: read the revision before writing again).
   */
  write(doc: ConfigDoc, opts: WriteOptions): Promise<WriteResult>;
  /** The newest `limit` history entries (default 100), newest first. Synchronous and local. */
  history(limit?: number): RevisionEntry[];
  /**
   * For a store other writers change (etcd: the other nodes): calls `listener` after read() moved
   * for any reason, this store's own writes included; returns the unsubscribe function. Absent
   * (SQLite): only this node's writes change it.
   */
  onChange?(listener: () => void): () => void;
  /** Closes the store; it is unusable afterwards. */
  close(): void;
}
