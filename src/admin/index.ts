/** @module The admin API: a Hono app over the store, the write path, the snapshot holder and a read-only runtime view. */
export { createAdminApp, registerAdminMetrics, DEFAULT_BODY_LIMIT } from "./app.ts";
export type { AdminOptions } from "./app.ts";
export { createProbeApp } from "./probe-app.ts";
export type { AdminMetrics, Readiness } from "./deps.ts";
export type { BackendHealth, BackendStats, ListenerState, RuntimeView, TrafficCounters } from "../status.ts";
export { mergePatch } from "./merge-patch.ts";
export { tokenMatches } from "./auth.ts";
export { CONFIG_FILE_HEADER } from "./routes/config.ts";
