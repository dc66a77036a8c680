/**
 * Builds the single binary dist/fulcrum with `bun build --compile`: the WASM core, migrations and
 * everything else are embedded, so it runs from any folder with nothing beside it.
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const proc = Bun.spawnSync(
  [process.execPath, "build", "--compile", "--minify-syntax", "src/main.ts", "--outfile", "dist/fulcrum"],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (proc.exitCode !== 0) {
  console.error(`build: bun build --compile failed (exit ${proc.exitCode})`);
  process.exit(1);
}
console.log("build: wrote dist/fulcrum");
