import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/config/index.ts";
import { exposedFiles, openStore } from "../../src/store/index.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-perm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (f: string) => statSync(f).mode & 0o777;

test("a new database and its -wal and -shm are created 0600: they hold private keys", async () => {
  const path = join(dir, "new.db");
  const store = openStore(path);
  try {
    await store.write(validateConfig({ pools: [{ name: "app" }] }), { source: "api", summary: "x" });
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(f)).toBe(true);
      expect(mode(f).toString(8)).toBe("600");
    }
    expect(exposedFiles(path)).toEqual([]);
  } finally {
    store.close();
  }
});

test("an existing database keeps its mode, and exposedFiles names what others can read", () => {
  const path = join(dir, "old.db");
  writeFileSync(path, "");
  chmodSync(path, 0o644);
  openStore(path).close();
  expect(mode(path).toString(8)).toBe("644");
  expect(exposedFiles(path)).toEqual([{ file: path, mode: 0o644 }]);
  expect(exposedFiles(":memory:")).toEqual([]);
});
