/** Finding and reading h2spec (shared/tools/h2spec, the HTTP/2 conformance suite) for the tests. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** shared/tools/h2spec beside the checkout (../shared from /work/main, ../../shared from a worktree). */
export function findH2spec(): string {
  if (process.env.H2SPEC) return process.env.H2SPEC;
  for (let dir = join(import.meta.dir, "..", "..", ".."); dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, "shared", "tools", "h2spec");
    if (existsSync(p)) return p;
  }
  throw new Error("h2spec not found in a shared/tools folder above the checkout (set H2SPEC)");
}

export interface H2specSummary {
  total: number;
  passed: number;
  skipped: number;
  failed: number;
  /** The report's failure section ("" when none failed). */
  failures: string;
}

/** "146 tests, 146 passed, 0 skipped, 0 failed" → the counts, plus the failing cases' lines. */
export function h2specSummary(out: string): H2specSummary {
  const m = /(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed/.exec(out);
  if (!m) throw new Error(`no h2spec summary in:\n${out.slice(-2000)}`);
  const at = out.indexOf("Failures:");
  return { total: +m[1]!, passed: +m[2]!, skipped: +m[3]!, failed: +m[4]!, failures: at >= 0 ? out.slice(at) : "" };
}
