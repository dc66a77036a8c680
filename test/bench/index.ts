/**
 * `bun run bench [-- --json] [-- NAME...]`: runs every test/bench/*.bench.ts (or those whose file
 * name contains one of the NAMEs) and prints their figures. Like a node, it runs with the
 * allocator settings (src/cli/allocator-env.ts): `npm run bench` sets them, and started any other
 * way it re-executes itself with them, so in-process figures (Maglev's fresh table pages, say)
 * are measured as a node would see them.
 */
import { Glob } from "bun";
import { basename, join } from "node:path";
import { restartWithAllocatorEnv } from "../../src/cli/allocator-env.ts";
import type { Figure } from "./harness.ts";

restartWithAllocatorEnv();

const args = process.argv.slice(2);
const json = args.includes("--json");
// Options and their values (`--workers 2`) are not file filters.
const filters = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--workers");

function print(f: Figure): void {
  if (json) {
    console.log(JSON.stringify({ name: f.name, value: f.value, unit: f.unit, oracle: f.oracle ?? null }));
    return;
  }
  const value = `${f.value.toPrecision(4)} ${f.unit}`;
  const oracle = f.oracle === undefined ? "" : `  (ts oracle ${f.oracle.toPrecision(4)} ${f.unit})`;
  const target = f.target ? `  target ${f.target}` : "";
  console.log(`${f.name.padEnd(52)} ${value.padStart(16)}${oracle}${target}`);
}

const files = [...new Glob("*.bench.ts").scanSync(import.meta.dir)].sort();
for (const file of files) {
  if (filters.length > 0 && !filters.some((f) => file.includes(f))) continue;
  const mod = (await import(join(import.meta.dir, file))) as { run: (report: (f: Figure) => void) => Promise<void> | void };
  if (!json) console.log(`# ${basename(file, ".bench.ts")}`);
  await mod.run(print);
}
