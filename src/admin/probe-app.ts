/**
 * The probe listener (`fulcrum start --metrics HOST:PORT`): /metrics, /readyz and /healthz on an
 * address of their own, without the admin token, for Prometheus and load-balancer health checks
 * that carry no credentials (as Envoy's and Traefik's separate metrics entry points allow). It
 * serves nothing else: the config stays behind the admin API's token.
 */
import { Hono } from "hono";
import type { Registry } from "../obs/index.ts";
import { errorBody, onAdminError, onAdminNotFound } from "./error-handler.ts";
import { mountProbes, type ProbeDeps } from "./routes/probes.ts";

const PROBE_PATHS = ["/metrics", "/readyz", "/healthz"];

/** Builds the probe app over the node's holder, readiness and metrics registry. */
export function createProbeApp(deps: ProbeDeps, registry: Registry): Hono {
  const app = new Hono({ strict: false });
  app.onError(onAdminError);
  app.notFound(onAdminNotFound);
  mountProbes(app, deps, registry);
  for (const path of PROBE_PATHS) {
    app.options(path, (c) => c.body(null, 204, { Allow: "GET, HEAD, OPTIONS" }));
    app.all(path, (c) => c.json(errorBody("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${path}; use GET`), 405, { Allow: "GET, HEAD, OPTIONS" }));
  }
  return app;
}
