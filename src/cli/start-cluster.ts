/**
 * `fulcrum start --cluster URLS --node NAME`: the node joins its cluster before anything else (its
 * store is etcd, read through its SQLite mirror), then the rest of startNode wires to it: every
 * snapshot it publishes is its applied revision in the registry; every revision the mirror brings
 * is adopted through the node's one write path (compiled, preflighted, published, or refused with
 * a NACK while the previous one keeps serving); its health checks are votes, and its data plane
 * builds from the cluster's verdicts. Without the flags nothing here runs.
 */
import type { SnapshotHolder } from "../config/index.ts";
import type { ConfigControl } from "../control/index.ts";
import { ClusterHealth, ClusterNode, ClusterStore, clusterView, DEFAULT_ROOT, type QuorumRule } from "../cluster/index.ts";
import { LbError } from "../errors.ts";
import type { Registry } from "../obs/index.ts";
import pkg from "../../package.json" with { type: "json" };

/** The cluster flags of `fulcrum start`, checked. */
export interface ClusterOptions {
  endpoints: string[];
  node: string;
  /** Key prefix in etcd (--cluster-prefix; default /fulcrum/v1/): one per Fulcrum cluster sharing an etcd. */
  prefix?: string;
  /** Lease TTL in seconds (--lease-ttl; default 10): a dead node leaves /v1/cluster this long after. */
  leaseTtlS?: number;
  /** How long a call to etcd may take before a write gets 503 (--etcd-timeout-ms; default 5000). */
  timeoutMs?: number;
  /** etcd's --experimental-watch-progress-notify-interval (--etcd-progress-ms; default 5000). */
  progressMs?: number;
  /** An upgrade: the lease of the node replaced, carried on (its record stays in the registry). */
  continueLease?: string;
}

/** The node's event log, as startNode gives it. */
type Log = (line: string, level?: "info" | "warn" | "error") => void;

const NODE_NAME = /^[a-z0-9][a-z0-9\-_.]*$/;

/** Whole milliseconds or seconds from a flag, at least `min`. */
function wholeNumber(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) throw new LbError("INVALID_ARGUMENT", `--${flag} must be a whole number of at least ${min}, got "${v}"`);
  return n;
}

/**
 * The cluster options from the flags (FULCRUM_CLUSTER and FULCRUM_NODE stand in for --cluster and
 * --node); undefined without either. INVALID_ARGUMENT for one without the other, a URL that is not
 * http(s)://host:port, or a node name that is not [a-z0-9][a-z0-9-_.]*.
 */
export function clusterOptions(values: Record<string, string | boolean | undefined>, env = process.env): ClusterOptions | undefined {
  const urls = (values.cluster as string | undefined) ?? env.FULCRUM_CLUSTER;
  const node = (values.node as string | undefined) ?? env.FULCRUM_NODE;
  const tuning = ["cluster-prefix", "lease-ttl", "etcd-timeout-ms", "etcd-progress-ms"].filter((f) => values[f] !== undefined);
  if (urls === undefined && node === undefined) {
    if (tuning.length > 0) throw new LbError("INVALID_ARGUMENT", `--${tuning[0]} goes with --cluster URLS --node NAME`);
    return undefined;
  }
  if (!urls) throw new LbError("INVALID_ARGUMENT", "--node goes with --cluster URLS (or FULCRUM_CLUSTER): the etcd members, comma-separated");
  if (!node) throw new LbError("INVALID_ARGUMENT", "--cluster needs --node NAME (or FULCRUM_NODE): this node's name, unique in the cluster");
  if (!NODE_NAME.test(node) || node.length > 63) {
    throw new LbError("INVALID_ARGUMENT", `--node "${node}" must be 1 to 63 characters of a-z, 0-9, - _ . starting with a letter or digit`);
  }
  const endpoints = urls.split(",").map((u) => u.trim().replace(/\/+$/, "")).filter((u) => u !== "");
  for (const u of endpoints) {
    if (!/^https?:\/\/[^/\s]+:\d{1,5}$/.test(u)) throw new LbError("INVALID_ARGUMENT", `--cluster: "${u}" is not an etcd client URL like http://10.0.0.5:2379`);
  }
  if (endpoints.length === 0) throw new LbError("INVALID_ARGUMENT", "--cluster needs at least one etcd client URL");
  const prefix = values["cluster-prefix"] as string | undefined;
  if (prefix !== undefined && !/^\/[\w\-./]*\/$/.test(prefix)) throw new LbError("INVALID_ARGUMENT", `--cluster-prefix must start and end with "/", got "${prefix}"`);
  return {
    endpoints,
    node,
    prefix,
    leaseTtlS: wholeNumber("lease-ttl", values["lease-ttl"] as string | undefined, 2),
    timeoutMs: wholeNumber("etcd-timeout-ms", values["etcd-timeout-ms"] as string | undefined, 100),
    progressMs: wholeNumber("etcd-progress-ms", values["etcd-progress-ms"] as string | undefined, 100),
  };
}

/** A node's membership: its store, its shared health, and the wiring the rest of the node attaches. */
export class ClusterMember {
  readonly store: ClusterStore;
  readonly health: ClusterHealth;
  readonly view: ReturnType<typeof clusterView>;
  private readonly unfollow: (() => void)[] = [];
  /** The revisions the data plane serves (with workers: every worker), set by follow(). */
  private served: SnapshotHolder;

  private constructor(
    readonly node: ClusterNode,
    private readonly holder: SnapshotHolder,
    private readonly log: Log,
  ) {
    this.served = holder;
    this.store = new ClusterStore(node);
    const ruleOf = (pool: string): QuorumRule => holder.current()?.pools[pool]?.healthCheck?.cluster_quorum ?? "majority";
    this.health = new ClusterHealth(node, ruleOf);
    this.view = clusterView({ node, health: this.health, serving: () => this.served.current()?.revision });
  }

  /**
   * Joins: with a mirror in `dbPath` at once (etcd is connected in the background), without one
   * once etcd answers. Throws CLUSTER_UNAVAILABLE naming the endpoints, NODE_NAME_TAKEN naming the
   * live node that holds the name.
   */
  static async join(opts: ClusterOptions, ctx: { dbPath: string; adminUrl: string; holder: SnapshotHolder; log: Log }): Promise<ClusterMember> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const node = await ClusterNode.start({
      endpoints: opts.endpoints,
      name: opts.node,
      adminUrl: ctx.adminUrl,
      version: pkg.version,
      dbPath: ctx.dbPath,
      root: opts.prefix ?? DEFAULT_ROOT,
      ttlS: opts.leaseTtlS ?? 10,
      watchdogMs: 3 * (opts.progressMs ?? 5000),
      requestTimeoutMs: Math.min(2000, timeoutMs),
      deadlineMs: timeoutMs,
      startTimeoutMs: timeoutMs,
      ...(opts.continueLease ? { continueLease: opts.continueLease } : {}),
      onNameTaken: (e) => ctx.log(`cluster: ${e.message}; this node serves its mirror but is not registered`, "error"),
      log: (msg) => ctx.log(`cluster: ${msg}`),
    });
    return new ClusterMember(node, ctx.holder, ctx.log);
  }

  /**
   * Follows the cluster through `control`: each snapshot `served` holds (what the data plane
   * serves: with workers, once every worker does) becomes this node's applied revision, each
   * mirror change is adopted (or NACKed), verdicts follow the config's quorum rules.
   */
  follow(control: ConfigControl, served: SnapshotHolder = this.holder): void {
    const registry = this.node.registry;
    this.served = served;
    this.unfollow.push(served.subscribe((s) => registry.applied(s.revision)));
    this.unfollow.push(this.holder.subscribe(() => this.health.recompute()));
    registry.applied(served.current()?.revision ?? 0);
    const adopt = () => void control.adoptStored().then((a) => {
      if (a.outcome !== "refused") return;
      registry.refused(a.revision, a.reason);
      this.log(`config: revision ${a.revision} refused, revision ${this.holder.current()?.revision ?? 0} keeps serving: ${a.reason}`, "warn");
    });
    this.unfollow.push(this.store.onChange(adopt));
    // A revision that reached the mirror while the data plane was starting had nobody to hear it.
    adopt();
  }

  /** The admin API's real URL (known once it is bound), for the registry. */
  setAdminUrl(url: string): void {
    this.node.registry.setAdminUrl(url);
  }

  /** fulcrum_cluster_* series: the mirrored config revision, etcd connection, live nodes, resyncs. */
  registerMetrics(metrics: Registry): void {
    const node = this.node;
    metrics.gauge("fulcrum_cluster_config_revision", "Config revision in this node's mirror of etcd.", [], (g) => g.set(node.config().revision));
    metrics.gauge("fulcrum_cluster_etcd_connected", "1 while this node's config watch on etcd is open.", [], (g) =>
      g.set(this.view.summary().etcd === "connected" ? 1 : 0));
    metrics.gauge("fulcrum_cluster_nodes", "Live nodes in the registry, as this node sees it.", [], (g) => g.set(node.nodes().length));
    metrics.counter("fulcrum_cluster_resyncs_total", "Full re-reads of the config from etcd (first sync, compaction, restore).", [], (c) =>
      c.set(node.configMirror.status.resyncs));
    metrics.counter("fulcrum_cluster_watch_reconnects_total", "Times the config watch was opened again.", [], (c) =>
      c.set(node.configMirror.status.reconnects));
  }

  /** This node's lease, for the node that upgrades it. */
  get leaseId(): string {
    return this.node.leased.leaseId;
  }

  /** An upgrade's new node serves on this lease now: this one writes nothing more under it, nor revokes it. */
  handOver(): Promise<void> {
    return this.node.handOver();
  }

  /** Leaves the cluster: the lease is revoked, so the record and votes vanish at once. */
  async stop(): Promise<void> {
    for (const u of this.unfollow.splice(0)) u();
    this.health.stop();
    await this.store.stopped();
  }
}
