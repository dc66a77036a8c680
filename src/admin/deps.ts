/** What every admin route handler works with: the store, the write path, the snapshot holder, metrics, the runtime view. */
import type { SnapshotHolder } from "../config/index.ts";
import type { ConfigControl } from "../control/index.ts";
import type { Counter, Histogram } from "../obs/index.ts";
import type { Store } from "../store/index.ts";
import type { RuntimeView } from "../status.ts";

/** The admin API's own metrics, registered on the shared registry by createAdminApp. */
export interface AdminMetrics {
  /** fulcrum_config_writes_total{result="applied"|"unchanged"|"rejected"|"dry_run"} */
  writes: Counter;
  /** fulcrum_admin_requests_total{method,code} */
  requests: Counter;
  /** fulcrum_admin_request_duration_seconds{method} */
  duration: Histogram;
}

/** What /readyz reports: ready, draining (stopping), or not ready yet. */
export type Readiness = "ready" | "draining" | "not_ready";

/** How this node stands in its cluster, for /v1/status and /readyz. */
export interface ClusterSummary {
  node: string;
  /** connected: this node's config watch is in sync with etcd; unreachable: it serves its mirror. */
  etcd: "connected" | "unreachable";
  /** Where the config served comes from: etcd (in sync), or the node's SQLite mirror while etcd is away. */
  config_from: "etcd" | "mirror";
  /** The node's record is in the registry (under its lease). */
  registered: boolean;
  /** Active checks are votes; the data plane builds from the cluster's verdict. */
  active_health: "cluster";
  /** Outlier ejection is decided on this node's own traffic and applies to this node only. */
  outlier_ejection: "local";
}

/** A live node as GET /v1/cluster lists it: its registry record, its lag, and whether it is this one. */
export interface ClusterMember {
  name: string;
  admin_url: string;
  version: string;
  started_at: string;
  applied_revision: number;
  nack?: { revision: number; reason: string };
  /** Config revisions behind the cluster's. */
  lag: number;
  self: boolean;
}

/** The body of GET /v1/cluster on a cluster node (besides `mode: "cluster"`). */
export interface ClusterDescription extends ClusterSummary {
  /** The cluster's config revision as this node's mirror holds it. */
  revision: number;
  /** The revision this node serves; null before the first. */
  serving_revision: number | null;
  /** The newest revision this node could not apply, and why. */
  nack?: { revision: number; reason: string };
  endpoints: string[];
  member: string;
  /** Why the config watch is away (while it is). */
  error?: string;
  /** Why registering failed (while unregistered). */
  registration_error?: string;
  lease: { id: string; ttl_s: number; grants: number };
  mirror: {
    phase: "starting" | "resyncing" | "catching_up" | "in_sync" | "disconnected" | "stopped";
    etcd_revision: number;
    revisions_applied: number;
    revisions_repeated: number;
    duplicates_dropped: number;
    resyncs: number;
    reconnects: number;
  };
  nodes: ClusterMember[];
  verdicts: { pool: string; address: string; healthy: boolean; down: string[]; up: string[] }[];
}

/** The answer of a write made with ?wait=applied: which live nodes applied its revision. */
export interface AppliedWait {
  revision: number;
  applied: string[];
  /** Nodes that cannot apply it (a NACK) and keep serving an older revision, with why. */
  refused: { node: string; revision: number; reason: string }[];
  /** Live nodes that neither applied nor refused it within timeout_ms. */
  timed_out: string[];
}

/** A backend's cluster verdict and the nodes' votes behind it. */
export interface BackendVotes {
  healthy: boolean;
  down: string[];
  up: string[];
}

/** What the admin API shows of the cluster (absent on a standalone node). */
export interface ClusterView {
  /** The body of GET /v1/cluster: this node, etcd, the live nodes and their revisions, the verdicts. */
  describe(): Promise<ClusterDescription>;
  summary(): ClusterSummary;
  /** Resolves when every live node applied or refused config `revision`, or after `timeoutMs`. */
  waitApplied(revision: number, timeoutMs: number): Promise<AppliedWait>;
  /** The cluster's verdict on a backend, undefined when no node checks it. */
  backend(pool: string, address: string): BackendVotes | undefined;
}

/** Dependencies shared by the route modules. Reads go to `store`; every write goes through `control`. */
export interface AdminDeps {
  store: Store;
  control: ConfigControl;
  holder: SnapshotHolder;
  runtime: RuntimeView;
  readiness: () => Readiness;
  metrics: AdminMetrics;
  /** In a cluster (`start --cluster`): /v1/cluster, ?wait=applied, the cluster's health verdicts. */
  cluster?: ClusterView;
}
