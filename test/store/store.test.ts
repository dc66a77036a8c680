import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig, type ConfigDoc } from "../../src/config/index.ts";
import { LbError } from "../../src/errors.ts";
import { defaultDbPath, embeddedMigrations, openStore, type Store } from "../../src/store/index.ts";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-store-"));
  dirs.push(dir);
  return join(dir, "test.db");
}
function open(path = ":memory:"): Store {
  const s = openStore(path);
  stores.push(s);
  return s;
}
const docWith = (n: number): ConfigDoc =>
  validateConfig({
    pools: [{ name: "app", backends: Array.from({ length: n }, (_, i) => ({ address: `10.0.0.${i + 1}:80` })) }],
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", routes: [{ name: "a", match: { path: "/a" } }] }],
  });

describe("store", () => {
  test("an empty new store is at revision 0 with an empty document", async () => {
    const s = open();
    expect(s.read()).toEqual({ revision: 0, doc: { listeners: [], pools: [], certificates: [] }, resources: new Map() });
    expect(s.history()).toEqual([]);
  });

  test("each changing write bumps the revision by one and records history, newest first", async () => {
    const s = open();
    for (let n = 1; n <= 5; n++) expect(await s.write(docWith(n), { source: "api", summary: `write ${n}` })).toEqual({ revision: n, changed: true });
    expect(s.read().revision).toBe(5);
    expect(s.read().doc).toEqual(docWith(5));
    const h = s.history();
    expect(h.map((e) => e.revision)).toEqual([5, 4, 3, 2, 1]);
    expect(h[0]!.summary).toBe("write 5");
    expect(Date.parse(h[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(s.history(2).map((e) => e.revision)).toEqual([5, 4]);
  });

  test("writing the same document again changes nothing", async () => {
    const s = open();
    await s.write(docWith(2), { source: "api", summary: "one" });
    expect(await s.write(docWith(2), { source: "api", summary: "again" })).toEqual({ revision: 1, changed: false });
    expect(s.history()).toHaveLength(1);
  });

  test("a stale expectRevision is PRECONDITION_FAILED and writes nothing", async () => {
    const s = open();
    await s.write(docWith(1), { source: "api", summary: "one" });
    let err: unknown;
    try {
      await s.write(docWith(2), { expectRevision: 0, source: "api", summary: "stale" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LbError);
    expect((err as LbError).code).toBe("PRECONDITION_FAILED");
    expect((err as LbError).status).toBe(412);
    expect(s.read()).toMatchObject({ revision: 1, doc: docWith(1) });
    expect((await s.write(docWith(2), { expectRevision: 1, source: "api", summary: "fresh" })).revision).toBe(2);
  });

  test("a file store keeps its revision and history across reopen", async () => {
    const path = tempDb();
    const a = openStore(path);
    await a.write(docWith(3), { source: "api", summary: "x" });
    a.close();
    const b = open(path);
    expect(b.read()).toMatchObject({ revision: 1, doc: docWith(3) });
    expect(b.history()).toHaveLength(1);
  });

  test("the database has real tables, WAL, foreign keys and cascades", async () => {
    const path = tempDb();
    await open(path).write(docWith(3), { source: "api", summary: "x" });
    const db = new Database(path, { readonly: true });
    try {
      const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
      expect(tables).toEqual(["__drizzle_migrations", "backends", "certificates", "listeners", "meta", "pools", "revisions", "routes"]);
      expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
      expect(db.query<{ c: number }, []>("SELECT count(*) AS c FROM backends").get()!.c).toBe(3);
      expect(db.query<{ c: number }, []>("SELECT count(*) AS c FROM __drizzle_migrations").get()!.c).toBe(embeddedMigrations().length);
      const fks = db.query<{ table: string; on_delete: string }, []>("SELECT * FROM pragma_foreign_key_list('routes')").all();
      expect(fks.find((f) => f.table === "listeners")!.on_delete).toBe("CASCADE");
    } finally {
      db.close();
    }
  });

  test("interleaved writers on one file get distinct consecutive revisions; the stale one gets 412", async () => {
    const path = tempDb();
    const a = open(path);
    const b = open(path);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      const w = i % 2 === 0 ? a : b;
      seen.push((await w.write(docWith(1 + (i % 7)), { source: "api", summary: `w${i}` })).revision);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const base = a.read().revision;
    await b.write(docWith(9), { expectRevision: base, source: "api", summary: "b first" });
    await expect(a.write(docWith(10), { expectRevision: base, source: "api", summary: "a stale" })).rejects.toThrow(LbError);
    expect(a.read().doc).toEqual(docWith(9));
    expect(a.history(100).map((e) => e.revision)).toEqual(Array.from({ length: 21 }, (_, i) => 21 - i));
  });

  test("defaultDbPath follows FULCRUM_DB", () => {
    const old = process.env.FULCRUM_DB;
    try {
      delete process.env.FULCRUM_DB;
      expect(defaultDbPath()).toBe("./fulcrum.db");
      process.env.FULCRUM_DB = "/tmp/x.db";
      expect(defaultDbPath()).toBe("/tmp/x.db");
    } finally {
      if (old === undefined) delete process.env.FULCRUM_DB;
      else process.env.FULCRUM_DB = old;
    }
  });
});

describe("store errors", () => {
  test("a document that breaks a foreign key is an INTERNAL LbError and changes nothing", async () => {
    const s = open();
    await s.write(docWith(1), { source: "api", summary: "ok" });
    const broken = structuredClone(docWith(2));
    broken.listeners[0]!.pool = "missing"; // validateConfig would refuse this; the store still must not half-write it
    let err: unknown;
    try {
      await s.write(broken, { source: "api", summary: "broken" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LbError);
    expect((err as LbError).code).toBe("INTERNAL");
    expect(s.read()).toMatchObject({ revision: 1, doc: docWith(1) });
  });

  test("a path that cannot be opened is an INTERNAL LbError", () => {
    expect(() => openStore("/nonexistent-dir/for/sure/x.db")).toThrow(LbError);
  });
});
