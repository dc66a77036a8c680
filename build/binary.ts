/**
 * Builds the single binary dist/fulcrum with `bun build --compile`: the WASM core, migrations and
 * everything else are embedded, so it runs from any folder with nothing beside it. Worker entry
 * files are extra entrypoints, embedded at their path under src/ (see src/health/worker-checker.ts).
 * The git commit of the tree it is built from goes in as the FULCRUM_COMMIT define ("unknown"
 * outside a checkout), which fulcrum_build_info and `fulcrum version` report.
 *
 * `bun build/binary.ts [--outfile PATH]` (default dist/fulcrum).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gitHead } from "../src/obs/index.ts";

const root = join(import.meta.dir, "..");
const { values } = parseArgs({ options: { outfile: { type: "string", default: "dist/fulcrum" } } });
const outfile = resolve(values.outfile!);
/** Files started with `new Worker(...)`: each must be embedded as its own entrypoint. */
const WORKERS = ["src/health/check-worker.ts", "src/runtime/workers/worker-main.ts"];
const commit = gitHead(root);
const proc = Bun.spawnSync(
  [
    process.execPath, "build", "--compile", "--minify-syntax", "--splitting",
    "--define", `FULCRUM_COMMIT=${JSON.stringify(commit)}`, "src/main.ts", ...WORKERS, "--outfile", outfile,
  ],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (proc.exitCode !== 0) {
  console.error(`build: bun build --compile failed (exit ${proc.exitCode})`);
  process.exit(1);
}
console.log(`build: wrote ${values.outfile} (commit ${commit})`);
