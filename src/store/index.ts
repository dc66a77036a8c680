/** @module The config store: the declared document at a monotonic revision, in SQLite. */
export { canonicalJson, sameDoc } from "./canonical.ts";
export { embeddedMigrations } from "./migrate.ts";
export { openStore } from "./sqlite-store.ts";
export type { RevisionEntry, Store, WriteResult } from "./types.ts";

/** The database path when none is given: `FULCRUM_DB`, else ./fulcrum.db (relative to the cwd). */
export function defaultDbPath(): string {
  return process.env.FULCRUM_DB ?? "./fulcrum.db";
}
