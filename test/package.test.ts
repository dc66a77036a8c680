/**
 * package.json holds what the program runs on in `dependencies` and build tools in
 * `devDependencies` (issue 12 item 14): every runtime dependency is imported by src/, the
 * AssemblyScript compiler (94 MB with binaryen) is a dev dependency, and the install still builds
 * the WASM core, or says clearly why it cannot.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

const ROOT = join(import.meta.dir, "..");
/** Dependencies not imported by design, each with its reason. */
const NOT_IMPORTED: Record<string, string> = {
  bun: "the runtime itself: npm install puts its binary in node_modules/.bin, which the scripts run",
  uplot: "the dashboard's charts: src/admin/ui/assets.macro.ts reads its built files (not a module import) and embeds them",
};

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("package.json", () => {
  const text = sources(join(ROOT, "src")).map((f) => readFileSync(f, "utf8")).join("\n");

  test("every runtime dependency is imported by src/ (or is listed with the reason it is not)", () => {
    const unused = Object.keys(pkg.dependencies).filter((name) => {
      if (NOT_IMPORTED[name]) return false;
      const quoted = name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      return !new RegExp(`from ["']${quoted}(/[^"']*)?["']`).test(text);
    });
    expect(unused).toEqual([]);
  });

  test("the AssemblyScript compiler is a dev dependency, and installing builds the WASM core with it", () => {
    expect(Object.keys(pkg.dependencies)).not.toContain("assemblyscript");
    expect(pkg.devDependencies).toHaveProperty("assemblyscript");
    expect(pkg.scripts.postinstall).toBe("bun run build:wasm");
    expect(pkg.scripts["build:wasm"]).toBe("bun build/wasm.ts");
  });
});

describe("build/wasm.ts without the compiler (npm install --omit=dev)", () => {
  const work = mkdtempSync(join(tmpdir(), "fulcrum-wasm-build-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  mkdirSync(join(work, "build"));
  mkdirSync(join(work, "assembly"));
  copyFileSync(join(ROOT, "build", "wasm.ts"), join(work, "build", "wasm.ts"));
  writeFileSync(join(work, "assembly", "index.ts"), "export function one(): i32 { return 1; }\n");
  const run = () => Bun.spawnSync([process.execPath, join(work, "build", "wasm.ts")], { cwd: work, stdout: "pipe", stderr: "pipe" });

  test("with no build/*.wasm it fails and says which dependency is missing", () => {
    const r = run();
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain("needs the AssemblyScript compiler, a dev dependency");
  });

  test("with build/*.wasm already there it keeps them and succeeds", () => {
    for (const t of ["debug", "release"]) writeFileSync(join(work, "build", `core.${t}.wasm`), "");
    const r = run();
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("keeping the existing build/*.wasm");
  });
});
