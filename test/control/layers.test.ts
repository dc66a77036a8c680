/**
 * The layers point one way (issue 13, DESIGN "Target layout"): the config model imports neither
 * the store nor the write path; the store imports the config model and nothing above it; the
 * write path sits above both. Read from the import lines of every source file.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");

/** The src/ folders that `folder`'s files import from (relative imports only). */
function importedFolders(folder: string): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(join(SRC, folder), { recursive: true }) as string[]) {
    if (!name.endsWith(".ts")) continue;
    const text = readFileSync(join(SRC, folder, name), "utf8");
    const depth = name.split("/").length;
    for (const m of text.matchAll(/from "(\.[^"]+)"/g)) {
      const parts = m[1]!.split("/");
      const ups = parts.filter((p) => p === "..").length;
      if (ups >= depth) out.add(parts[ups]!.replace(/\.ts$/, ""));
    }
  }
  return out;
}

test("config imports neither store nor control; store imports config but not control or admin", () => {
  const config = importedFolders("config");
  expect(config.has("store")).toBe(false);
  expect(config.has("control")).toBe(false);
  const store = importedFolders("store");
  expect(store.has("config")).toBe(true);
  for (const above of ["control", "admin", "cli", "runtime"]) expect(store.has(above)).toBe(false);
  const control = importedFolders("control");
  expect([...control].sort()).toEqual(["config", "errors", "store"]);
});
