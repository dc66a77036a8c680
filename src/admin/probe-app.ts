/**
 * The probe listener (`fulcrum start --metrics HOST:PORT`): /metrics, /readyz and /healthz on an
 * address of their own, without the admin token, for Prometheus and load-balancer health checks
 * that carry no credentials (as Envoy's and Traefik's separate metrics entry points allow). It
 * serves nothing else: the config stays behind the admin API's token.
 */
import { Hono } from "hono";
import type { Registry } from "../obs/index.ts";
import { onAdminError, onAdminNotFound } from "./error-handler.ts";
import { mountMethodChecks } from "./operation.ts";
import { mountProbes, type ProbeDeps } from "./routes/probes.ts";

/** Builds the probe app over the node's holder, readiness and metrics registry. */
export function createProbeApp(deps: ProbeDeps, registry: Registry): Hono {
  const app = new Hono({ strict: false });
  app.onError(onAdminError);
  app.notFound(onAdminNotFound);
  mountProbes(app, deps, registry);
  mountMethodChecks(app);
  return app;
}
