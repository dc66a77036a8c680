/** @module The config store: the Store contract and its SQLite implementation (embedded migrations). */
export { embeddedMigrations } from "./migrate.ts";
export { openStore } from "./sqlite-store.ts";
export { exposedFiles, type ExposedFile } from "./permissions.ts";
export { resourceKey, resourceTexts, nextResourceRevisions, type ResourceKind } from "./resources.ts";
export type {
  ChangeSource,
  ResourceRevisions,
  RevisionEntry,
  SourceKind,
  Store,
  StoredConfig,
  WriteOptions,
  WriteResult,
} from "./types.ts";

/** The database path when none is given: `FULCRUM_DB`, else ./fulcrum.db (relative to the cwd). */
export function defaultDbPath(): string {
  return process.env.FULCRUM_DB ?? "./fulcrum.db";
}
