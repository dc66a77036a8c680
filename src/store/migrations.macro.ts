/**
 * Bun macro: runs at bundle time (and at transpile time under `bun test`/`bun run`), reads
 * drizzle-kit's journal and SQL files and inlines them as data. This is what lets a compiled binary
 * migrate a fresh database from any folder: drizzle's stock migrator reads the files at run time,
 * and they are not inside the binary (BUN-NOTES).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One migration as drizzle's migrator describes it (`MigrationMeta`). */
export interface EmbeddedMigration {
  tag: string;
  /** The statements, split on drizzle-kit's `--> statement-breakpoint`. */
  sql: string[];
  /** Journal `when`: drizzle records it as `created_at` and compares by it. */
  folderMillis: number;
  /** sha256 of the whole file, as drizzle computes it. */
  hash: string;
}

interface Journal {
  entries: { tag: string; when: number }[];
}

/** Reads src/store/migrations at bundle time; takes no arguments (macro arguments must be literals). */
export function loadMigrations(): EmbeddedMigration[] {
  const dir = join(import.meta.dir, "migrations");
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as Journal;
  return journal.entries.map((entry) => {
    const text = readFileSync(join(dir, `${entry.tag}.sql`), "utf8");
    return {
      tag: entry.tag,
      sql: text.split("--> statement-breakpoint").filter((s) => s.trim() !== ""),
      folderMillis: entry.when,
      hash: createHash("sha256").update(text).digest("hex"),
    };
  });
}
