/**
 * Query parameters are checked like body fields: each endpoint names the ones it takes, and any
 * other is a 400 naming it, so a typo (`?dryrun=true`) is refused instead of silently ignored.
 */
import type { Context } from "hono";
import { LbError } from "../errors.ts";

/**
 * Returns the query parameters of the request, each given once; throws INVALID_REQUEST naming the
 * first one not in `allowed`, or one given twice.
 */
export function queryOf(c: Context, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (!allowed.includes(name)) {
      const accepted = allowed.length === 0 ? "this endpoint takes none" : `accepted: ${allowed.join(", ")}`;
      throw new LbError("INVALID_REQUEST", `unknown query parameter "${name}" (${accepted})`, { details: [{ path: name, message: "unknown query parameter" }] });
    }
    if (values.length > 1) throw new LbError("INVALID_REQUEST", `query parameter "${name}" is given ${values.length} times`);
    out[name] = values[0]!;
  }
  return out;
}

/** Reads ?dry_run: absent, false or 0 = write; true, 1 or bare = validate only; anything else is a 400. */
export function dryRunOf(query: Record<string, string>): boolean {
  const v = query.dry_run;
  if (v === undefined || v === "false" || v === "0") return false;
  if (v === "true" || v === "1" || v === "") return true;
  throw new LbError("INVALID_REQUEST", `dry_run must be true or false, not "${v}"`);
}

/** Parameters every write endpoint takes. */
export const WRITE_QUERY = ["dry_run"] as const;
