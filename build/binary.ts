/**
 * Builds the single binary dist/fulcrum with `bun build --compile`: the WASM core, migrations and
 * everything else are embedded, so it runs from any folder with nothing beside it. Worker entry
 * files are extra entrypoints, embedded at their path under src/ (see src/health/worker-checker.ts).
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
/** Files started with `new Worker(...)`: each must be embedded as its own entrypoint. */
const WORKERS = ["src/health/check-worker.ts", "src/runtime/workers/worker-main.ts"];
const proc = Bun.spawnSync(
  [process.execPath, "build", "--compile", "--minify-syntax", "--splitting", "src/main.ts", ...WORKERS, "--outfile", "dist/fulcrum"],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (proc.exitCode !== 0) {
  console.error(`build: bun build --compile failed (exit ${proc.exitCode})`);
  process.exit(1);
}
console.log("build: wrote dist/fulcrum");
