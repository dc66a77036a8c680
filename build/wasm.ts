/**
 * Compiles the AssemblyScript core (assembly/) into build/core.{debug,release}.wasm.
 * Runs on every install (package.json postinstall), so nobody has to remember it, and before
 * `npm run build`. Like make, it skips a target whose output is newer than every input (the
 * AssemblyScript sources, asconfig.json, this script and the installed asc); `--force` rebuilds.
 * Targets and flags live in asconfig.json; asc reads it from the project root.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const asc = join(root, "node_modules", ".bin", "asc");
const force = process.argv.includes("--force");

/** Newest modification time among the files that decide the output. */
function newestInput(): number {
  const files = [join(root, "asconfig.json"), import.meta.path, join(root, "node_modules", "assemblyscript", "package.json")];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith(".ts")) files.push(join(dir, e.name));
    }
  };
  walk(join(root, "assembly"));
  return Math.max(...files.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
}

function upToDate(target: string, inputsMs: number): boolean {
  const out = join(root, "build", `core.${target}.wasm`);
  return existsSync(out) && statSync(out).mtimeMs >= inputsMs;
}

const targets = ["debug", "release"];
if (!existsSync(asc)) {
  // assemblyscript is a dev dependency: `npm install --omit=dev` has no compiler.
  if (targets.every((t) => existsSync(join(root, "build", `core.${t}.wasm`)))) {
    console.log("build:wasm: asc is not installed (dev dependency); keeping the existing build/*.wasm");
    process.exit(0);
  }
  console.error("build:wasm: the WebAssembly core needs the AssemblyScript compiler, a dev dependency: run `npm install` without --omit=dev (or copy a dist/fulcrum built elsewhere)");
  process.exit(1);
}

const inputsMs = newestInput();
for (const target of targets) {
  if (!force && upToDate(target, inputsMs)) {
    console.log(`build:wasm: ${target} is up to date`);
    continue;
  }
  const started = performance.now();
  const proc = Bun.spawnSync([asc, "assembly/index.ts", "--target", target], {
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (proc.exitCode !== 0) {
    console.error(`build:wasm: asc --target ${target} failed (exit ${proc.exitCode})`);
    process.exit(1);
  }
  console.log(`build:wasm: ${target} built in ${Math.round(performance.now() - started)} ms`);
}
