/**
 * GET /v1/stats/history: the node's per-second samples of every listener, route, pool and backend
 * (the runtime view's history), the numbers the dashboard charts, for scripts too. Its query
 * parameters are declared here, and any other is a 400, so a typo never silently widens a query.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { LbError } from "../../errors.ts";
import type { HistoryQuery, HistoryScope, HistoryView } from "../../status.ts";
import type { AdminDeps } from "../deps.ts";

const SCOPES = ["listener", "route", "pool", "backend"] as const;
/** Without ?seconds=: the five minutes the dashboard charts. */
const DEFAULT_SECONDS = 300;
/** Most seconds a query may ask for; the node answers with what it keeps (`capacity`). */
const MAX_SECONDS = 3600;

/** The query parameters of GET /v1/stats/history. */
export const HistoryQuerySchema = z.strictObject({
  seconds: z.coerce.number().int().min(1).max(MAX_SECONDS).optional(),
  /** Comma-separated kinds of series (or the parameter repeated); default all. */
  scope: z.array(z.enum(SCOPES)).optional(),
  /** Only this listener and its routes (with `pool`: either's series). */
  listener: z.string().min(1).optional(),
  /** Only this pool and its backends. */
  pool: z.string().min(1).optional(),
});

/** Parses the raw query (every value of every key) into a HistoryQuery; a bad one is a 400. */
export function parseHistoryQuery(raw: Record<string, string[]>): HistoryQuery {
  const flat: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(raw)) {
    if (key === "scope") flat.scope = values.flatMap((v) => v.split(",")).map((v) => v.trim());
    else if (values.length > 1) throw new LbError("INVALID_REQUEST", `query parameter ${key} given ${values.length} times`);
    else flat[key] = values[0];
  }
  const r = HistoryQuerySchema.safeParse(flat);
  if (!r.success) {
    const details = r.error.issues.map((i) =>
      i.code === "unrecognized_keys"
        ? { path: i.keys.join(", "), message: `unknown query parameter (known: ${Object.keys(HistoryQuerySchema.shape).join(", ")})` }
        : { path: i.path.join("."), message: i.message },
    );
    throw new LbError("INVALID_REQUEST", `bad query: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, { details });
  }
  const q = r.data;
  return {
    seconds: q.seconds ?? DEFAULT_SECONDS,
    ...(q.scope ? { scopes: [...new Set(q.scope)] as HistoryScope[] } : {}),
    ...(q.listener !== undefined ? { listener: q.listener } : {}),
    ...(q.pool !== undefined ? { pool: q.pool } : {}),
  };
}

/** Mounts GET /v1/stats/history. */
export function mountStatsHistory(app: Hono, deps: AdminDeps): void {
  app.get("/v1/stats/history", (c) => {
    const q = parseHistoryQuery(c.req.queries());
    const snap = deps.holder.current();
    if (q.listener !== undefined && !snap?.listeners.some((l) => l.name === q.listener)) {
      throw new LbError("LISTENER_NOT_FOUND", `listener "${q.listener}" not found`);
    }
    if (q.pool !== undefined && !snap?.pools[q.pool]) throw new LbError("POOL_NOT_FOUND", `pool "${q.pool}" not found`);
    const empty: HistoryView = { interval_ms: 1000, capacity: 0, time: [], series: [] };
    return c.json(deps.runtime.history?.call(deps.runtime, q) ?? empty);
  });
}
