/**
 * Validation problems: a path like `pools[0].table_size` and a message. Every check appends to one
 * list so the operator sees every problem at once; `throwIfAny` turns the list into CONFIG_INVALID.
 */
import type { z } from "zod";
import { LbError } from "../errors.ts";

/** One thing wrong with a document, where it is and why. */
export interface Problem {
  path: string;
  message: string;
}

/** A path as a list of keys and indexes: ["pools", 0, "table_size"]. */
export type PathParts = readonly (string | number | symbol)[];

/** Formats ["pools", 0, "table_size"] as "pools[0].table_size" (odd keys quoted: headers["x-id"]). */
export function formatPath(parts: PathParts): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/**
 * Turns zod issues into problems; an unknown field becomes one problem at that field's path. A
 * value that matches none of a union's shapes says what the one shape of its type got wrong (a
 * string-or-object field given an object reports the object's problems), or which types it takes.
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], prefix: PathParts = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const wrongType = (branch: readonly z.core.$ZodIssue[]) => branch.some((i) => i.code === "invalid_type" && i.path.length === 0);
      const typed = issue.errors.filter((b) => !wrongType(b));
      if (typed.length === 1) {
        out.push(...fromZodIssues(typed[0]!, path));
        continue;
      }
      if (typed.length === 0) {
        const expected = issue.errors.map((b) => b.find((i) => i.code === "invalid_type")).map((i) => (i?.code === "invalid_type" ? i.expected : "?"));
        out.push({ path: formatPath(path), message: `expected ${[...new Set(expected)].join(" or ")}` });
        continue;
      }
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: "unknown field" });
    } else if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
      out.push({ path: formatPath(path), message: "required" });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** Throws CONFIG_INVALID listing every problem, or returns when there are none. */
export function throwIfAny(problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  const head = problems.length === 1 ? "invalid config" : `invalid config (${problems.length} problems)`;
  throw new LbError("CONFIG_INVALID", `${head}: ${lines.join("; ")}`, { details: [...problems] });
}
