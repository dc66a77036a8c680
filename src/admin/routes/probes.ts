/**
 * /healthz (the process answers), /readyz (config applied and listeners bound, as the injected
 * readiness says; 503 DRAINING once the node is stopping) and /metrics (Prometheus text of the
 * shared registry). Mounted on the admin API and, with `--metrics`, on a listener of their own.
 */
import type { Hono } from "hono";
import type { SnapshotHolder } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { PROMETHEUS_CONTENT_TYPE, type Registry } from "../../obs/index.ts";
import type { ClusterSummary, Readiness } from "../deps.ts";
import { queryOf } from "../query.ts";

/** What the probes read. */
export interface ProbeDeps {
  holder: SnapshotHolder;
  readiness: () => Readiness;
  /** In a cluster: how the node stands with etcd (ready still means "serving a known config"). */
  cluster?: () => ClusterSummary;
}

/** Mounts the probes and the metrics endpoint. */
export function mountProbes(app: Hono, deps: ProbeDeps, registry: Registry): void {
  app.get("/healthz", (c) => {
    queryOf(c, []);
    return c.json({ status: "ok" });
  });

  app.get("/readyz", (c) => {
    queryOf(c, []);
    const state = deps.readiness();
    if (state === "ready") {
      const cluster = deps.cluster?.();
      return c.json({ status: "ready", revision: deps.holder.current()?.revision ?? null, ...(cluster ? { cluster } : {}) });
    }
    if (state === "draining") throw new LbError("DRAINING", "draining: the node is stopping and takes no new work");
    throw new LbError("NOT_READY", "config not applied or listeners not bound yet");
  });

  app.get("/metrics", (c) => {
    queryOf(c, []);
    return c.body(registry.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
}
