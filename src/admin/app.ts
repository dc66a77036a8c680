/**
 * createAdminApp: the Hono admin API over the store, the write path, the snapshot holder and a
 * read-only runtime view (DESIGN.md "Admin API"). Middleware order matters: metrics outermost (so
 * 401s and 413s are counted), then auth (an unauthenticated caller learns nothing, not even 404 vs
 * 405), then the body limit, then the routes (each an Operation: operation.ts), then OPTIONS and a
 * 405 catch-all per path they serve. A trailing slash is ignored (`/v1/pools/` is `/v1/pools`).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { SnapshotHolder } from "../config/index.ts";
import { ConfigControl } from "../control/index.ts";
import { LbError } from "../errors.ts";
import { Registry } from "../obs/index.ts";
import type { Store } from "../store/index.ts";
import { bearerAuth } from "./auth.ts";
import { mountCollection } from "./collection.ts";
import type { AdminDeps, AdminMetrics, ClusterView, Readiness } from "./deps.ts";
import { onAdminError, onAdminNotFound } from "./error-handler.ts";
import { mountMethodChecks } from "./operation.ts";
import { mountCluster } from "./routes/cluster.ts";
import { mountConfig } from "./routes/config.ts";
import { mountOpenApi } from "./routes/openapi.ts";
import { mountProbes } from "./routes/probes.ts";
import { COLLECTIONS } from "./routes/resources.ts";
import { mountRuntime } from "./routes/runtime.ts";
import { mountStatsHistory } from "./routes/stats-history.ts";
import { mountUi } from "./routes/ui.ts";
import type { RuntimeView } from "../status.ts";

/** Default largest request body: 4 MiB (a config with many certificates fits comfortably). */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

/** What createAdminApp needs. Only store and holder are required. */
export interface AdminOptions {
  store: Store;
  holder: SnapshotHolder;
  /**
   * The node's write path, shared with everything else that writes (start --config, SIGHUP) so
   * all of them queue behind one another; default: one of the admin's own over store and holder,
   * with the runtime view's preflight.
   */
  control?: ConfigControl;
  /** The data plane's read-only view; absent until the data plane is wired. */
  runtime?: RuntimeView;
  /** Bearer token; when set every path but /healthz requires it. */
  token?: string;
  /** Largest accepted request body in bytes (413 beyond). */
  bodyLimit?: number;
  /** /readyz answers 200 while this returns true; default: a snapshot has been published. */
  ready?: () => boolean;
  /** True once the node is stopping: /readyz answers 503 DRAINING. */
  draining?: () => boolean;
  /** Registry to serve at /metrics and to register the admin's metrics on; default: a new one. */
  metrics?: Registry;
  /** In a cluster: /v1/cluster, ?wait=applied and the cluster's health verdicts in /v1/status. */
  cluster?: ClusterView;
}

/** Registers the admin's own metrics (idempotent per registry). */
export function registerAdminMetrics(registry: Registry, holder: SnapshotHolder): AdminMetrics {
  registry.gauge("fulcrum_config_revision", "Config revision of the snapshot this node serves.", [], (g) =>
    g.set(holder.current()?.revision ?? 0),
  );
  return {
    writes: registry.counter("fulcrum_config_writes_total", "Config writes through the admin API, by result.", ["result"]),
    requests: registry.counter("fulcrum_admin_requests_total", "Admin API requests by method and status code.", ["method", "code"]),
    duration: registry.histogram("fulcrum_admin_request_duration_seconds", "Admin API request latency.", ["method"]),
  };
}

/** Methods counted under their own label; anything else is "OTHER", so a client cannot grow the series without bound. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

function readinessOf(opts: AdminOptions): () => Readiness {
  const ready = opts.ready ?? (() => opts.holder.current() !== undefined);
  return () => (opts.draining?.() ? "draining" : ready() ? "ready" : "not_ready");
}

/** Builds the admin app. Serve it with `Bun.serve({ fetch: app.fetch })` or test it with `app.request()`. */
export function createAdminApp(opts: AdminOptions): Hono {
  const registry = opts.metrics ?? new Registry();
  const runtime = opts.runtime ?? {};
  const deps: AdminDeps = {
    store: opts.store,
    control: opts.control ?? new ConfigControl({ store: opts.store, holder: opts.holder, preflight: runtime.preflight?.bind(runtime) }),
    holder: opts.holder,
    runtime,
    readiness: readinessOf(opts),
    metrics: registerAdminMetrics(registry, opts.holder),
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
  };
  const limit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = new Hono({ strict: false });
  app.onError(onAdminError);
  app.notFound(onAdminNotFound);

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const method = METHODS.has(c.req.method) ? c.req.method : "OTHER";
    deps.metrics.requests.inc({ method, code: c.res.status });
    deps.metrics.duration.observe((performance.now() - started) / 1000, { method });
  });
  // The dashboard's files are public (no data in them); the page asks for the token itself.
  mountUi(app);
  app.use("*", bearerAuth(opts.token));
  app.use(
    "*",
    bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new LbError("PAYLOAD_TOO_LARGE", `request body is larger than ${limit} bytes`);
      },
    }),
  );

  mountProbes(app, { ...deps, cluster: opts.cluster ? () => opts.cluster!.summary() : undefined }, registry);
  mountConfig(app, deps);
  mountRuntime(app, deps);
  mountCluster(app, deps);
  mountStatsHistory(app, deps);
  for (const spec of COLLECTIONS) mountCollection(app, deps, spec);

  mountOpenApi(app);
  mountMethodChecks(app);
  return app;
}
