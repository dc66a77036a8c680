/**
 * What the cluster reads answer, as zod schemas the description shows: GET /v1/cluster (a
 * standalone node's `{"mode":"standalone","nodes":[]}` or a cluster node's view), and the summary
 * /v1/status and /readyz carry on a cluster node. The view types they mirror are in deps.ts;
 * `Same` makes the typecheck fail when the two drift apart.
 */
import { z } from "zod";
import type { ClusterDescription, ClusterSummary } from "../deps.ts";
import { named, type Same } from "../openapi/schemas.ts";

const count = z.number().int().min(0);
const Nack = z.strictObject({ revision: count, reason: z.string() });

/** How this node stands in its cluster (/v1/status and /readyz, a cluster node only). */
export const ClusterSummarySchema = named(
  "ClusterSummary",
  z.strictObject({
    node: z.string().describe("This node's --node name."),
    etcd: z.enum(["connected", "unreachable"]).describe("`connected`: its config watch is open; `unreachable`: it serves its mirror."),
    config_from: z.enum(["etcd", "mirror"]).describe("`etcd` once in sync; `mirror` (its SQLite copy) while etcd is away or it catches up."),
    registered: z.boolean().describe("Its record is in the registry, under its lease."),
    active_health: z.literal("cluster").describe("Active checks are votes; the data plane builds from the cluster's verdict."),
    outlier_ejection: z.literal("local").describe("Outlier ejection is decided on this node's own traffic and applies to it only."),
  }),
);

const ClusterMemberSchema = z.strictObject({
  name: z.string(),
  admin_url: z.string(),
  version: z.string(),
  started_at: z.string().describe("ISO 8601 UTC."),
  applied_revision: count.describe("The config revision it serves (0 before the first)."),
  nack: Nack.optional().describe("The newest revision it could not apply, and why; absent once it applied a later one."),
  lag: count.describe("Config revisions it is behind."),
  self: z.boolean().describe("This node."),
});

const ClusterDescriptionSchema = ClusterSummarySchema.extend({
  revision: count.describe("The cluster's config revision as this node's mirror holds it."),
  serving_revision: count.nullable().describe("The revision this node serves (null before the first)."),
  nack: Nack.optional().describe("The newest revision this node could not apply, and why."),
  endpoints: z.array(z.string()).describe("The etcd endpoints it was given."),
  member: z.string().describe("The etcd member its calls go to now."),
  error: z.string().optional().describe("Why the config watch is away (while it is)."),
  registration_error: z.string().optional().describe("Why registering failed (while unregistered)."),
  lease: z.strictObject({ id: z.string(), ttl_s: count, grants: count }),
  mirror: z.strictObject({
    phase: z.enum(["starting", "resyncing", "catching_up", "in_sync", "disconnected", "stopped"]),
    etcd_revision: count.describe("etcd's revision of the last change the mirror applied."),
    revisions_applied: count,
    revisions_repeated: count.describe("Revisions that arrived twice and were dropped: stays 0."),
    duplicates_dropped: count,
    resyncs: count,
    reconnects: count,
  }),
  nodes: z.array(ClusterMemberSchema).describe("The live nodes, by name."),
  verdicts: z
    .array(z.strictObject({ pool: z.string(), address: z.string(), healthy: z.boolean(), down: z.array(z.string()), up: z.array(z.string()) }))
    .describe("The cluster's health verdict on every backend some node checks, with the nodes voting down and up."),
});

const checks: [Same<z.output<typeof ClusterSummarySchema>, ClusterSummary>, Same<z.output<typeof ClusterDescriptionSchema>, ClusterDescription>] = [true, true];
void checks;

/** GET /v1/cluster. */
export const ClusterSchema = named(
  "Cluster",
  z.discriminatedUnion("mode", [
    z.strictObject({ mode: z.literal("standalone"), nodes: z.array(z.never()).describe("Always empty: a standalone node has no cluster.") }),
    ClusterDescriptionSchema.extend({ mode: z.literal("cluster") }),
  ]),
);
