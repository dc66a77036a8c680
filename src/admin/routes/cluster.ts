/**
 * GET /v1/cluster: in a cluster, this node (its etcd connection, its mirror, what it serves), the
 * live nodes with the revision each applied or refused and their lag, and the health verdicts
 * every node builds its tables from. A standalone node answers `{"mode":"standalone","nodes":[]}`.
 */
import type { Hono } from "hono";
import type { z } from "zod";
import type { AdminDeps } from "../deps.ts";
import { mountOperation, type Operation } from "../operation.ts";
import { ClusterSchema } from "./cluster-schemas.ts";

const CLUSTER: Operation = {
  method: "get",
  path: "/v1/cluster",
  operationId: "getCluster",
  tag: "cluster",
  summary: "This node's cluster: etcd, the live nodes and their revisions, the health verdicts",
  description:
    "Read from the node's mirrors, so it answers while etcd is away and says so (`etcd`, `config_from`). A node started without --cluster answers `mode: standalone`.",
  replies: { 200: { description: "The cluster as this node sees it.", content: { types: ["application/json"], schema: ClusterSchema } } },
};

/** Mounts /v1/cluster. */
export function mountCluster(app: Hono, deps: AdminDeps): void {
  mountOperation(app, CLUSTER, async (c) =>
    c.json<z.output<typeof ClusterSchema>>(deps.cluster ? { mode: "cluster", ...(await deps.cluster.describe()) } : { mode: "standalone", nodes: [] }),
  );
}
