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
export const WRITE_QUERY = ["dry_run", "wait", "timeout_ms"] as const;

/** How long ?wait=applied waits by default, and at most. */
export const DEFAULT_WAIT_MS = 10_000;
export const MAX_WAIT_MS = 300_000;

/**
 * Reads ?wait=applied&timeout_ms=N: the milliseconds to wait for every live node to apply the
 * write, or undefined without `wait`. Anything else is a 400 before anything is written.
 */
export function waitOf(query: Record<string, string>): number | undefined {
  const { wait, timeout_ms: raw } = query;
  if (wait === undefined) {
    if (raw !== undefined) throw new LbError("INVALID_REQUEST", "timeout_ms goes with wait=applied");
    return undefined;
  }
  if (wait !== "applied") throw new LbError("INVALID_REQUEST", `wait must be "applied", not "${wait}"`);
  if (raw === undefined) return DEFAULT_WAIT_MS;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms > MAX_WAIT_MS) throw new LbError("INVALID_REQUEST", `timeout_ms must be a whole number of milliseconds from 0 to ${MAX_WAIT_MS}, not "${raw}"`);
  return ms;
}
