/**
 * Compiles the AssemblyScript core (assembly/) into build/core.{debug,release}.wasm.
 * Runs on every install (package.json postinstall), so nobody has to remember it.
 * Targets and flags live in asconfig.json; asc reads it from the project root.
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const asc = join(root, "node_modules", ".bin", "asc");

for (const target of ["debug", "release"]) {
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
