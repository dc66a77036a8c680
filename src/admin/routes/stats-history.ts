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
import { named, type Same } from "../openapi/schemas.ts";
import { mountOperation, type Operation } from "../operation.ts";

const SCOPES = ["listener", "route", "pool", "backend"] as const;
/** Without ?seconds=: the five minutes the dashboard charts. */
const DEFAULT_SECONDS = 300;
/** Most seconds a query may ask for; the node answers with what it keeps (`capacity`). */
const MAX_SECONDS = 3600;

/** The query parameters of GET /v1/stats/history. */
export const HistoryQuerySchema = z.strictObject({
  seconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SECONDS)
    .meta({ description: "The newest N samples (one a second), at most what the node keeps.", examples: [60] })
    .default(DEFAULT_SECONDS),
  scope: z
    .array(z.enum(SCOPES))
    .meta({ description: "Only these kinds of series (repeated, or comma-separated); default all.", examples: [["listener", "route"]] })
    .optional(),
  listener: z.string().min(1).meta({ description: "Only this listener and its routes (with `pool`: either's series).", examples: ["web"] }).optional(),
  pool: z.string().min(1).meta({ description: "Only this pool and its backends.", examples: ["app"] }).optional(),
});

/** One series, aligned with `time`: null before it existed, or (latency) in a second with no timed request. */
const samples = z.array(z.number().nullable());

const HistorySeriesSchema = z.strictObject({
  scope: z.enum(SCOPES),
  name: z.string().describe("Listener, route or pool name, or a backend's address."),
  listener: z.string().optional().describe("Routes: their listener."),
  pool: z.string().optional().describe("Backends: their pool."),
  requests: samples,
  rps: samples,
  status_4xx: samples,
  status_5xx: samples,
  no_response: samples,
  errors: samples,
  active: samples,
  p50_ms: samples,
  p99_ms: samples,
});

/** What GET /v1/stats/history answers; its type is status.ts's HistoryView (checked below). */
export const HistoryViewSchema = named(
  "HistoryView",
  z.strictObject({
    interval_ms: z.number().int(),
    capacity: z.number().int().describe("Samples the node keeps per series."),
    time: z.array(z.number()).describe("Sample times, unix seconds, oldest first."),
    series: z.array(HistorySeriesSchema),
  }),
);
const same: Same<z.output<typeof HistoryViewSchema>, HistoryView> = true;
void same;

const HISTORY: Operation<typeof HistoryQuerySchema> = {
  method: "get",
  path: "/v1/stats/history",
  operationId: "getStatsHistory",
  tag: "runtime",
  summary: "Per-second samples of every listener, route, pool and backend",
  query: HistoryQuerySchema,
  replies: { 200: { description: "The samples the dashboard charts.", content: { types: ["application/json"], schema: HistoryViewSchema } } },
  errors: ["LISTENER_NOT_FOUND", "POOL_NOT_FOUND"],
};

/** The parsed query as the runtime view takes it. */
function historyQuery(q: z.output<typeof HistoryQuerySchema>): HistoryQuery {
  return {
    seconds: q.seconds,
    ...(q.scope ? { scopes: [...new Set(q.scope)] as HistoryScope[] } : {}),
    ...(q.listener !== undefined ? { listener: q.listener } : {}),
    ...(q.pool !== undefined ? { pool: q.pool } : {}),
  };
}

/** Mounts GET /v1/stats/history. */
export function mountStatsHistory(app: Hono, deps: AdminDeps): void {
  mountOperation(app, HISTORY, (c, query) => {
    const q = historyQuery(query);
    const snap = deps.holder.current();
    if (q.listener !== undefined && !snap?.listeners.some((l) => l.name === q.listener)) {
      throw new LbError("LISTENER_NOT_FOUND", `listener "${q.listener}" not found`);
    }
    if (q.pool !== undefined && !snap?.pools[q.pool]) throw new LbError("POOL_NOT_FOUND", `pool "${q.pool}" not found`);
    const empty: HistoryView = { interval_ms: 1000, capacity: 0, time: [], series: [] };
    return c.json(deps.runtime.history?.call(deps.runtime, q) ?? empty);
  });
}
