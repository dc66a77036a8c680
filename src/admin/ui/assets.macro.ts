/**
 * Bun macro: runs at bundle time (and at transpile time under `bun test`/`bun run`), reads the
 * dashboard's files (src/admin/ui/page/**) and uPlot's build, and inlines them as strings, so the
 * compiled binary serves the page from any folder with nothing beside it (as the migrations are).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** uPlot's files as the page names them (the package's dist/ build, MIT licence). */
const VENDOR: Record<string, string> = {
  "vendor/uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
  "vendor/uPlot.min.css": "uplot/dist/uPlot.min.css",
  "vendor/uPlot.LICENSE": "uplot/LICENSE",
};

function walk(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** Every file of the page by its path under /ui/ ("index.html", "js/main.js", "vendor/..."). */
export function loadUiAssets(): Record<string, string> {
  const page = join(import.meta.dir, "page");
  const out: Record<string, string> = {};
  for (const file of walk(page, []).sort()) out[relative(page, file)] = readFileSync(file, "utf8");
  for (const [name, spec] of Object.entries(VENDOR)) out[name] = readFileSync(Bun.resolveSync(spec, import.meta.dir), "utf8");
  return out;
}
