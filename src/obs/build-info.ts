/**
 * What build a node runs: `fulcrum_build_info{version,commit} 1`, the way Prometheus exporters
 * describe themselves, so a dashboard can tell nodes on different builds apart. The commit is the
 * one `build/binary.ts` embedded in a compiled binary (as the FULCRUM_COMMIT define), else the
 * HEAD of the git checkout the source runs from, else "unknown".
 */
import { join } from "node:path";
import type { Registry } from "./registry.ts";

/** Replaced by `bun build --define` in a compiled binary; not defined at all when run from source. */
declare const FULCRUM_COMMIT: string | undefined;

/** The source tree's root (src/obs/../..); meaningless inside a compiled binary, where the define answers first. */
const SOURCE_ROOT = join(import.meta.dir, "..", "..");

let cached: string | undefined;

/** The git commit this program was built from (40 hex digits), or "unknown". Looked up once. */
export function buildCommit(): string {
  cached ??= typeof FULCRUM_COMMIT === "string" && FULCRUM_COMMIT !== "" ? FULCRUM_COMMIT : gitHead(SOURCE_ROOT);
  return cached;
}

/** HEAD of the checkout at `dir`, or "unknown" (no git, not a checkout, or git refused it). */
export function gitHead(dir: string): string {
  try {
    const r = Bun.spawnSync(["git", "-C", dir, "rev-parse", "HEAD"], { stdout: "pipe", stderr: "ignore", timeout: 5000 });
    const out = r.stdout.toString().trim();
    return r.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(out) ? out : "unknown";
  } catch {
    return "unknown"; // git is not installed
  }
}

/** Registers fulcrum_build_info{version,commit} 1 on `registry`. */
export function registerBuildInfo(registry: Registry, version: string, commit = buildCommit()): void {
  registry.gauge("fulcrum_build_info", "The version and git commit this node was built from; always 1.", ["version", "commit"]).set(1, { version, commit });
}
