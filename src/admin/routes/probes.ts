/**
 * /healthz (the process answers), /readyz (config applied and listeners bound, as the injected
 * `ready` callback says) and /metrics (Prometheus text of the shared registry).
 */
import type { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE, type Registry } from "../../obs/index.ts";
import { LbError } from "../../errors.ts";
import type { AdminDeps } from "../deps.ts";

/** Mounts the probes and the metrics endpoint. */
export function mountProbes(app: Hono, deps: AdminDeps, registry: Registry): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", (c) => {
    if (deps.ready()) return c.json({ status: "ready", revision: deps.holder.current()?.revision ?? null });
    throw new LbError("NOT_READY", "config not applied or listeners not bound yet");
  });

  app.get("/metrics", (c) => c.body(registry.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE }));
}
