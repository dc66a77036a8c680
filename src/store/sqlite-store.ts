/**
 * The SQLite store: bun:sqlite + drizzle-orm/bun-sqlite. WAL with synchronous FULL makes a write
 * durable before write() resolves, so every acknowledged revision survives kill -9 (and power
 * loss). SQLite itself is synchronous: write() does all its work before it returns its promise.
 */
import { Database } from "bun:sqlite";
import { desc, eq } from "drizzle-orm";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { sameDoc, type ConfigDoc } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { migrate } from "./migrate.ts";
import { createPrivate } from "./permissions.ts";
import { nextResourceRevisions } from "./resources.ts";
import { docToRows, rowRevisions, rowsToDoc, type DocRows } from "./rows.ts";
import * as schema from "./schema.ts";
import type { RevisionEntry, SourceKind, Store, StoredConfig, WriteOptions, WriteResult } from "./types.ts";

type Db = BunSQLiteDatabase<typeof schema>;

/** Rows per INSERT: far below SQLite's bound-parameter limit even for the widest table. */
const CHUNK = 200;

/**
 * Opens (creating and migrating if needed) the store at `path`; ":memory:" gives a private
 * in-memory store. A new database file is created 0600 (it holds private keys). Throws INTERNAL
 * when the file cannot be opened or migrated.
 */
export function openStore(path: string): Store {
  let sqlite: Database;
  try {
    createPrivate(path);
    sqlite = new Database(path, { create: true, strict: true });
  } catch (e) {
    throw new LbError("INTERNAL", `store: cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    // busy_timeout first: another process may hold the lock while we switch to WAL or migrate.
    sqlite.run("PRAGMA busy_timeout = 5000");
    sqlite.run("PRAGMA journal_mode = WAL");
    sqlite.run("PRAGMA synchronous = FULL");
    sqlite.run("PRAGMA foreign_keys = ON");
    migrate(sqlite);
    sqlite.run("INSERT OR IGNORE INTO meta (id, revision) VALUES (1, 0)");
  } catch (e) {
    sqlite.close();
    throw internal(`cannot prepare ${path}`, e);
  }
  return new SqliteStore(sqlite, drizzle({ client: sqlite, schema }));
}

/** Wraps a foreign error (SQLite busy, disk full, a foreign key the caller broke) as INTERNAL. */
function internal(what: string, e: unknown): LbError {
  if (e instanceof LbError) return e;
  return new LbError("INTERNAL", `store: ${what}: ${(e as Error).message}`, { cause: e });
}

class SqliteStore implements Store {
  constructor(
    private readonly sqlite: Database,
    private readonly db: Db,
  ) {}

  read(): StoredConfig {
    try {
      // One deferred transaction: every SELECT sees the same committed revision.
      return this.sqlite.transaction(() => this.readStored())();
    } catch (e) {
      throw internal("read failed", e);
    }
  }

  async write(doc: ConfigDoc, opts: WriteOptions): Promise<WriteResult> {
    try {
      return this.writeTx(doc, opts);
    } catch (e) {
      throw internal("write failed", e);
    }
  }

  private writeTx(doc: ConfigDoc, opts: WriteOptions): WriteResult {
    // IMMEDIATE takes the write lock up front, so the revision we check is the one we bump.
    return this.sqlite
      .transaction((): WriteResult => {
        const current = this.readStored();
        if (opts.expectRevision !== undefined && opts.expectRevision !== current.revision) {
          throw new LbError("PRECONDITION_FAILED", `the config is at revision ${current.revision}, not ${opts.expectRevision}`, {
            details: [{ current_revision: current.revision }],
          });
        }
        if (sameDoc(current.doc, doc)) return { revision: current.revision, changed: false };
        const revision = current.revision + 1;
        this.replaceRows(docToRows(doc, nextResourceRevisions(current.doc, current.resources, doc, revision)));
        this.db.update(schema.meta).set({ revision }).where(eq(schema.meta.id, 1)).run();
        const at = new Date().toISOString();
        this.db
          .insert(schema.revisions)
          .values({ revision, at, summary: opts.summary, source: opts.source, sourceFile: opts.file ?? null })
          .run();
        return { revision, changed: true };
      })
      .immediate();
  }

  history(limit = 100): RevisionEntry[] {
    const rows = this.db.select().from(schema.revisions).orderBy(desc(schema.revisions.revision)).limit(limit).all();
    return rows.map((r) => ({
      revision: r.revision,
      at: r.at,
      source: r.source as SourceKind,
      ...(r.sourceFile === null ? {} : { file: r.sourceFile }),
      summary: r.summary,
    }));
  }

  close(): void {
    this.sqlite.close();
  }

  private readStored(): StoredConfig {
    const rows = this.readRows();
    return { revision: this.revision(), doc: rowsToDoc(rows), resources: rowRevisions(rows) };
  }

  private revision(): number {
    return this.db.select().from(schema.meta).where(eq(schema.meta.id, 1)).get()?.revision ?? 0;
  }

  private readRows(): DocRows {
    return {
      pools: this.db.select().from(schema.pools).all(),
      backends: this.db.select().from(schema.backends).all(),
      listeners: this.db.select().from(schema.listeners).all(),
      routes: this.db.select().from(schema.routes).all(),
      certificates: this.db.select().from(schema.certificates).all(),
    };
  }

  /** Delete order follows the foreign keys: listeners (routes cascade) before the pools they use. */
  private replaceRows(rows: DocRows): void {
    this.db.delete(schema.listeners).run();
    this.db.delete(schema.pools).run();
    this.db.delete(schema.certificates).run();
    this.insert(schema.pools, rows.pools);
    this.insert(schema.backends, rows.backends);
    this.insert(schema.listeners, rows.listeners);
    this.insert(schema.routes, rows.routes);
    this.insert(schema.certificates, rows.certificates);
  }

  private insert<T extends typeof schema.pools | typeof schema.backends | typeof schema.listeners | typeof schema.routes | typeof schema.certificates>(
    table: T,
    rows: readonly T["$inferInsert"][],
  ): void {
    for (let i = 0; i < rows.length; i += CHUNK) this.db.insert(table).values(rows.slice(i, i + CHUNK)).run();
  }
}
