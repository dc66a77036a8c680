import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/store/index.ts";

const ENTRY = join(import.meta.dir, "fixtures", "open-store-entry.ts");
const work = mkdtempSync(join(tmpdir(), "fulcrum-bin-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("a compiled binary migrates a fresh database from another folder", async () => {
  const bin = join(work, "open-store");
  const build = Bun.spawnSync([process.execPath, "build", "--compile", ENTRY, "--outfile", bin], { stdout: "pipe", stderr: "pipe" });
  expect(build.stderr.toString()).not.toContain("error");
  expect(build.exitCode).toBe(0);
  const elsewhere = join(work, "elsewhere");
  Bun.spawnSync(["mkdir", "-p", elsewhere]);
  // A relative path: the database lands in the binary's cwd, far from src/store/migrations.
  const run = Bun.spawn([bin, "fresh.db"], { cwd: elsewhere, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({ revision: 1, pools: ["bin"] });
  const dbPath = join(elsewhere, "fresh.db");
  expect(existsSync(dbPath)).toBe(true);
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
    expect(tables).toEqual(["__drizzle_migrations", "backends", "certificates", "listeners", "meta", "pools", "revisions", "routes"]);
    expect(db.query<{ address: string }, []>("SELECT address FROM backends").all()).toEqual([{ address: "127.0.0.1:9" }]);
    expect(db.query<{ summary: string }, []>("SELECT summary FROM revisions").all()).toEqual([{ summary: "from the compiled binary" }]);
  } finally {
    db.close();
  }
  // Opening it again from another folder applies no migration twice (CREATE TABLE would fail), and
  // the same document again does not move the revision.
  const again = Bun.spawnSync([bin, dbPath], { cwd: work, stdout: "pipe", stderr: "pipe" });
  expect(again.stderr.toString()).toBe("");
  expect(again.exitCode).toBe(0);
  expect(JSON.parse(again.stdout.toString()).revision).toBe(1);
  const check = new Database(dbPath, { readonly: true });
  try {
    expect(check.query<{ c: number }, []>("SELECT count(*) AS c FROM __drizzle_migrations").get()!.c).toBe(embeddedMigrations().length);
  } finally {
    check.close();
  }
}, 120_000);
