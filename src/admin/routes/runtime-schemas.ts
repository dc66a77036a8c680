/**
 * What the runtime reads answer (/v1/status, /v1/revisions, /v1/pools/{name}/table), as zod
 * schemas the description shows. The view types they mirror (src/status.ts, the store's history
 * entry) stay plain interfaces; `Same` makes the typecheck fail when the two drift apart.
 */
import { z } from "zod";
import { BackendSchema, ListenerSchema, PoolSchema } from "../../config/index.ts";
import type { RevisionEntry } from "../../store/index.ts";
import type { BackendStats, DiscoveryState, ListenerState, NodeInfo, TrafficCounters, WorkerInfo } from "../../status.ts";
import { named, type Same } from "../openapi/schemas.ts";
import { ClusterSummarySchema } from "./cluster-schemas.ts";

const count = z.number().int().min(0);

export const TrafficCountersSchema = named(
  "TrafficCounters",
  z.strictObject({
    requests: count.describe("Finished requests (a backend: attempts)."),
    by_class: z.record(z.string(), count).describe('By status class ("2xx" ... "5xx", "none" = no status); zero counts left out.'),
    active: count.describe("In flight."),
    bytes_in: count.describe("Body bytes from clients."),
    bytes_out: count.describe("Body bytes to clients."),
    retries: count,
    errors: z.record(z.string(), count).describe("By error code; zero counts left out."),
  }),
);

const BackendStatsSchema = z.strictObject({
  active_connections: count.optional().describe("L4 connections in the connection-tracking tables."),
  active_requests: count.optional().describe("In-flight L7 requests plus open L4 connections."),
  requests_total: count.optional(),
  failures_total: count.optional(),
  ejected: z.boolean().optional().describe("Ejected by outlier detection now."),
  ejections_total: count.optional(),
  traffic: TrafficCountersSchema.optional(),
});

const ListenerStateSchema = z.strictObject({
  name: z.string(),
  address: z.string().describe("The bound address (port 0 in the config shows the port chosen)."),
  bound: z.boolean(),
  active_connections: count.optional(),
  handshake_timeouts: count.optional(),
  upstream_resets: count.optional(),
  access_denied: count.optional().describe("With `access`: connections (udp: datagrams; http(s): requests) its access list refused."),
  client_limit_refused: count.optional().describe("With `max_connections_per_client`: connections (udp: new flows) refused over it."),
  client_limit_untracked: count.optional().describe("With `max_connections_per_client`: connections let through uncounted because its table was full."),
  client_cert_refused: count.optional().describe("https with `client_auth`: client certificates refused (missing, expired, untrusted, invalid)."),
});

const HealthSchema = z.enum(["healthy", "unhealthy", "unknown"]);

const checks: [
  Same<z.output<typeof TrafficCountersSchema>, TrafficCounters>,
  Same<z.output<typeof BackendStatsSchema>, BackendStats>,
  Same<z.output<typeof ListenerStateSchema>, ListenerState>,
] = [true, true, true];
void checks;

const ListenerStatusSchema = ListenerStateSchema.partial().extend({
  name: z.string(),
  protocol: ListenerSchema.shape.protocol,
  address: z.string(),
  traffic: TrafficCountersSchema.optional(),
});

/** Where a backend came from: the config, or the pool's DNS discovery (with the name looked up). */
const SourceShape = {
  source: z.enum(["config", "dns"]).describe("`dns`: found by the pool's `discovery`, not written in the config."),
  dns: z.string().optional().describe("With source `dns`: the name it was found under."),
};

const BackendStatusSchema = BackendStatsSchema.extend({
  address: z.string(),
  weight: BackendSchema.shape.weight.unwrap(),
  state: BackendSchema.shape.state.unwrap(),
  ...SourceShape,
  health: HealthSchema.describe("What the data plane uses: this node's check, or in a cluster the verdict of the nodes' votes (when any node checks it)."),
  health_here: HealthSchema.optional().describe("A cluster node: this node's own check (one vote)."),
  votes: z
    .strictObject({ down: z.array(z.string()), up: z.array(z.string()) })
    .optional()
    .describe("A cluster node: the live nodes voting the backend down and up (absent while no node checks it)."),
});

/** A pool's DNS discovery as the node last saw it. */
const DiscoveryStateSchema = z.strictObject({
  dns: z.string(),
  type: z.string(),
  active: count.describe("Backends in the last good answer."),
  draining: count.describe("Backends that left the answer and drain until removed."),
  lookups: count,
  failures: count,
  last_lookup: z.string().optional(),
  last_success: z.string().optional(),
  last_error: z.string().optional().describe("Why the last lookup failed; absent once one succeeded again."),
});
const discoveryCheck: Same<z.output<typeof DiscoveryStateSchema>, DiscoveryState> = true;
void discoveryCheck;

/** One worker of a node of several. */
const WorkerInfoSchema = z.strictObject({
  worker: count.describe("Its index (a restarted worker keeps it)."),
  up: z.boolean().describe("Running and serving a revision."),
  revision: z.number().int().min(-1).describe("The revision it serves; -1 before its first."),
  connections: count.describe("Client connections open in it now."),
  requests_total: count.describe("HTTP requests finished, L4 connections and UDP flows relayed at this index (its predecessors' included)."),
  restarts: count.describe("Times the worker at this index died and was started again."),
});
const workerCheck: Same<z.output<typeof WorkerInfoSchema>, WorkerInfo> = true;
void workerCheck;

/** The running process: an upgrade shows as a new pid, version and start time. */
const NodeInfoSchema = z.strictObject({
  version: z.string(),
  pid: count,
  started_at: z.string().describe("When the process started, ISO 8601 UTC."),
  workers: count.describe("Worker threads serving (1: the data plane runs on the node's own thread)."),
  upgraded_from: count.optional().describe("The pid this node took the listening sockets over from, after an upgrade."),
  worker_states: z.array(WorkerInfoSchema).optional().describe("With more than one worker: each one, by index."),
});
const nodeCheck: Same<z.output<typeof NodeInfoSchema>, NodeInfo> = true;
void nodeCheck;

/** GET /v1/status. */
export const StatusSchema = named(
  "Status",
  z.strictObject({
    node: NodeInfoSchema.optional(),
    revision: z.number().int().nullable().describe("The revision this node serves (null before the first)."),
    stored_revision: z.number().int().describe("The store's revision (ahead of `revision` while a change is being applied)."),
    ready: z.boolean(),
    cluster: ClusterSummarySchema.optional().describe("A cluster node: how it stands with etcd and whose health it uses."),
    listeners: z.array(ListenerStatusSchema),
    routes: z.array(z.strictObject({ listener: z.string(), name: z.string(), pool: z.string().optional(), traffic: TrafficCountersSchema.optional() })),
    pools: z.array(
      z.strictObject({
        name: z.string(),
        algorithm: PoolSchema.in.shape.algorithm.unwrap(),
        traffic: TrafficCountersSchema.optional(),
        discovery: z.union([DiscoveryStateSchema, z.strictObject({ dns: z.string(), type: z.string() })]).optional(),
        backends: z.array(BackendStatusSchema),
      }),
    ),
  }),
);

const RevisionEntrySchema = z.strictObject({
  revision: z.number().int().min(1),
  at: z.string().describe("When, ISO 8601 UTC."),
  source: z.enum(["api", "file", "sighup", "cluster"]),
  file: z.string().optional().describe("The config file's absolute path (source file or sighup)."),
  summary: z.string().describe('What did it and the first diff lines: "PATCH /v1/pools/app: ...".'),
  node: z.string().optional().describe("A cluster: the node that took the write (its --node name)."),
});
const revisionCheck: Same<z.output<typeof RevisionEntrySchema>, RevisionEntry> = true;
void revisionCheck;

/** GET /v1/revisions. */
export const RevisionsSchema = named("Revisions", z.strictObject({ revisions: z.array(RevisionEntrySchema).describe("Newest first.") }));

/** GET /v1/pools/{name}/table. */
export const TableSchema = named(
  "Table",
  z.strictObject({
    pool: z.string(),
    algorithm: z.string(),
    revision: z.number().int(),
    table_size: z.number().int(),
    empty_slots: count,
    digest: z.string().describe("sha256 over the backends and the slots of the table the data plane uses now (health applied): nodes with the same digest agree slot for slot."),
    backends: z.array(z.strictObject({ address: z.string(), weight: count, ...SourceShape, slots: count })),
    table: z.array(z.number().int()).optional().describe("With ?slots=true: each slot's index into `backends`."),
  }),
);
