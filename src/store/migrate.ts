/**
 * Applies the embedded migrations. We apply them ourselves rather than through drizzle's migrator
 * (which reads files at run time) but keep its bookkeeping table, `__drizzle_migrations`, with the
 * same columns and values, so drizzle-kit sees the same history. Unlike drizzle's, this takes the
 * write lock (BEGIN IMMEDIATE) before deciding what to apply, so two processes opening one fresh
 * database at once cannot both run the same migration.
 */
import type { Database } from "bun:sqlite";
import { LbError } from "../errors.ts";
import { loadMigrations } from "./migrations.macro.ts" with { type: "macro" };

const MIGRATIONS = loadMigrations();

/** Brings the database schema up to date; returns the tags it applied (empty when current). */
export function migrate(sqlite: Database): string[] {
  sqlite.run(`CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (
    id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const run = sqlite.transaction(() => {
    // drizzle's rule: a migration is applied when its journal time is not after the newest recorded.
    const last = sqlite
      .query<{ last: number | null }, []>(`SELECT max(created_at) AS last FROM "__drizzle_migrations"`)
      .get();
    const newest = Number(last?.last ?? -1);
    const done: string[] = [];
    for (const m of MIGRATIONS) {
      if (m.folderMillis <= newest) continue;
      for (const stmt of m.sql) sqlite.run(stmt);
      sqlite.run(`INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)`, [
        m.hash,
        m.folderMillis,
      ]);
      done.push(m.tag);
    }
    return done;
  });
  try {
    return run.immediate();
  } catch (e) {
    throw new LbError("INTERNAL", `store: migrating the database failed: ${(e as Error).message}`, { cause: e });
  }
}

/** The tags of every embedded migration, oldest first (for tests and `fulcrum version`-like output). */
export function embeddedMigrations(): string[] {
  return MIGRATIONS.map((m) => m.tag);
}
