/**
 * A database written before per-resource revisions and history sources (migration 0000 only)
 * opens with its document, revision and history intact, every row's revision set to the
 * revision it stood at, and earlier `start --config FILE` entries attributed to their file.
 */
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations, openStore } from "../../src/store/index.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MIGRATIONS = join(import.meta.dir, "..", "..", "src", "store", "migrations");

/** A database exactly as the first schema left it: 0000_init applied and recorded, some rows. */
function oldDatabase(path: string): void {
  const text = readFileSync(join(MIGRATIONS, "0000_init.sql"), "utf8");
  const when = JSON.parse(readFileSync(join(MIGRATIONS, "meta", "_journal.json"), "utf8")).entries[0].when;
  const db = new Database(path, { create: true });
  try {
    for (const stmt of text.split("--> statement-breakpoint")) db.run(stmt);
    db.run(`CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    db.run(`INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES (?, ?)`, [createHash("sha256").update(text).digest("hex"), when]);
    db.run("INSERT INTO meta (id, revision) VALUES (1, 3)");
    db.run(`INSERT INTO pools VALUES ('app', 0, 'round_robin', '{}')`);
    db.run(`INSERT INTO backends VALUES ('app', '10.0.0.1:80', 0, 1, 'active', '{}')`);
    db.run(`INSERT INTO listeners VALUES ('web', 0, 'http', '127.0.0.1:8080', 'app', '{}')`);
    db.run(`INSERT INTO revisions VALUES (1, '2026-01-01T00:00:00.000Z', 'start --config conf/fulcrum.yaml: pool app added')`);
    db.run(`INSERT INTO revisions VALUES (2, '2026-01-01T00:00:01.000Z', 'POST /v1/pools/app/backends: pool app: backend 10.0.0.1:80 added')`);
    db.run(`INSERT INTO revisions VALUES (3, '2026-01-01T00:00:02.000Z', 'start --config /etc/f.yaml')`);
  } finally {
    db.close();
  }
}

test("an old database migrates: rows take the current revision, start --config entries their file", () => {
  const path = join(dir, "old.db");
  oldDatabase(path);
  const store = openStore(path);
  try {
    const stored = store.read();
    expect(stored.revision).toBe(3);
    expect(stored.doc.pools).toEqual([{ name: "app", algorithm: "round_robin", backends: [{ address: "10.0.0.1:80", weight: 1, state: "active" }] }]);
    expect(Object.fromEntries(stored.resources)).toEqual({ "pool/app": 3, "backend/app/10.0.0.1:80": 3, "listener/web": 3 });
    expect(store.history().map((e) => [e.revision, e.source, e.file])).toEqual([
      [3, "file", "/etc/f.yaml"],
      [2, "api", undefined],
      [1, "file", "conf/fulcrum.yaml"],
    ]);
  } finally {
    store.close();
  }
  const db = new Database(path, { readonly: true });
  try {
    const applied = db.query<{ c: number }, []>(`SELECT count(*) AS c FROM "__drizzle_migrations"`).get()!.c;
    expect(applied).toBe(embeddedMigrations().length);
  } finally {
    db.close();
  }
});
