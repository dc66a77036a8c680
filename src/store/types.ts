/** The store's contract: the declared config at a monotonic revision, with its history. */
import type { ConfigDoc } from "../config/index.ts";

/** One acknowledged change: the revision it produced, when (ISO 8601 UTC), and what changed. */
export interface RevisionEntry {
  revision: number;
  at: string;
  summary: string;
}

/** The result of a write; `changed: false` means the document equalled the stored one (no bump). */
export interface WriteResult {
  revision: number;
  changed: boolean;
}

/** Where the config lives. Every method is synchronous (bun:sqlite); one process may hold many. */
export interface Store {
  /** The whole document at one revision, read in one transaction (never half of a write). 0 = empty new store. */
  read(): { revision: number; doc: ConfigDoc };
  /**
   * Replaces the stored document in ONE transaction: rows, revision + 1, a history entry. Returns
   * once it is durable (WAL, synchronous FULL). Writing a document equal to the stored one (key
   * order ignored) changes nothing and returns `changed: false`. Throws PRECONDITION_FAILED (412)
   * when `expectRevision` is given and is not the current revision. The caller validates `doc`.
   */
  write(doc: ConfigDoc, opts: { expectRevision?: number; summary: string }): WriteResult;
  /** The newest `limit` history entries (default 100), newest first. */
  history(limit?: number): RevisionEntry[];
  /** Closes the database; the store is unusable afterwards. */
  close(): void;
}
