/**
 * GET /v1/cluster: in a cluster, this node (its etcd connection, its mirror, what it serves), the
 * live nodes with the revision each applied or refused and their lag, and the health verdicts
 * every node builds its tables from. A standalone node answers `{"mode":"standalone"}`.
 */
import type { Hono } from "hono";
import type { AdminDeps } from "../deps.ts";
import { queryOf } from "../query.ts";

/** Mounts /v1/cluster. */
export function mountCluster(app: Hono, deps: AdminDeps): void {
  app.get("/v1/cluster", (c) => {
    queryOf(c, []);
    if (!deps.cluster) return c.json({ mode: "standalone", nodes: [] });
    return c.json({ mode: "cluster", ...deps.cluster.describe() });
  });
}
