/**
 * /healthz (the process answers), /readyz (config applied and listeners bound, as the injected
 * readiness says; 503 DRAINING once the node is stopping) and /metrics (Prometheus text of the
 * shared registry). Mounted on the admin API and, with `--metrics`, on a listener of their own.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { SnapshotHolder } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { PROMETHEUS_CONTENT_TYPE, type Registry } from "../../obs/index.ts";
import type { ClusterSummary, Readiness } from "../deps.ts";
import { named } from "../openapi/schemas.ts";
import { mountOperation, type Operation } from "../operation.ts";
import { ClusterSummarySchema } from "./cluster-schemas.ts";

const HealthSchema = named("Health", z.strictObject({ status: z.literal("ok") }));
const ReadySchema = named(
  "Ready",
  z.strictObject({
    status: z.literal("ready"),
    revision: z.number().int().nullable().describe("The config revision this node serves."),
    cluster: ClusterSummarySchema.optional().describe("A cluster node: how it stands with etcd (ready still means serving a known config, its mirror's included)."),
  }),
);

const HEALTHZ: Operation = {
  method: "get",
  path: "/healthz",
  operationId: "getHealthz",
  tag: "probes",
  summary: "The process answers",
  description: "Needs no token, so a load balancer or orchestrator can probe it.",
  public: true,
  replies: { 200: { description: "Alive.", content: { types: ["application/json"], schema: HealthSchema } } },
};

const READYZ: Operation = {
  method: "get",
  path: "/readyz",
  operationId: "getReadyz",
  tag: "probes",
  summary: "Config applied and listeners bound",
  replies: { 200: { description: "Ready for traffic.", content: { types: ["application/json"], schema: ReadySchema } } },
  errors: ["NOT_READY", "DRAINING"],
};

const METRICS: Operation = {
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tag: "probes",
  summary: "Prometheus metrics",
  replies: { 200: { description: "Prometheus text exposition format 0.0.4.", content: { types: [PROMETHEUS_CONTENT_TYPE.split(";")[0]!] } } },
};

/** What the probes read. */
export interface ProbeDeps {
  holder: SnapshotHolder;
  readiness: () => Readiness;
  /** In a cluster: how the node stands with etcd (ready still means "serving a known config"). */
  cluster?: () => ClusterSummary;
}

/** Mounts the probes and the metrics endpoint. */
export function mountProbes(app: Hono, deps: ProbeDeps, registry: Registry): void {
  mountOperation(app, HEALTHZ, (c) => c.json({ status: "ok" }));

  mountOperation(app, READYZ, (c) => {
    const state = deps.readiness();
    if (state === "ready") {
      const cluster = deps.cluster?.();
      return c.json<z.output<typeof ReadySchema>>({ status: "ready", revision: deps.holder.current()?.revision ?? null, ...(cluster ? { cluster } : {}) });
    }
    if (state === "draining") throw new LbError("DRAINING", "draining: the node is stopping and takes no new work");
    throw new LbError("NOT_READY", "config not applied or listeners not bound yet");
  });

  mountOperation(app, METRICS, (c) => {
    return c.body(registry.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
}
