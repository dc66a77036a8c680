/**
 * One Fulcrum node's membership in a cluster, composed from the parts of this folder: the etcd
 * client, the config mirror in the node's SQLite file (served from even while etcd is away), mirrors
 * of the node registry and the health votes, the node's lease with its record and votes. What the
 * phase-2 wiring needs — a synchronous local read of the config, a write that is one etcd txn and
 * returns once this node's mirror has it (read your writes), the nodes and their applied revisions,
 * the health verdicts — and nothing about sockets, compiling or the admin API.
 */
import { isLbError, LbError } from "../errors.ts";
import { AckFeed } from "./ack-feed.ts";
import { waitForApplied, type AppliedReport } from "./applied-report.ts";
import { readConfigState, updateConfigState, type ConfigState } from "./config-state.ts";
import { nothingWritten, writeConfig, type ConfigWriteOptions, type ConfigWriteResult } from "./config-writer.ts";
import { EtcdClient, text } from "./etcd/index.ts";
import { decodeVotes, HealthPublisher, type Vote } from "./health-votes.ts";
import { clusterKeys, type ClusterKeys } from "./keys.ts";
import { LeasedKeys } from "./leased-keys.ts";
import { MemorySink, type MirrorSink } from "./mirror-sink.ts";
import { listNodes, NodeRegistry, takenByLiveTwin, type NodeView } from "./node-registry.ts";
import type { MirrorChange } from "./mirror-change.ts";
import { PrefixMirror } from "./prefix-mirror.ts";
import type { ClusterNodeOptions, ClusterNodeStatus } from "./cluster-node-options.ts";
import { RevisionCounter } from "./revision-counter.ts";
import { registerInBackground, registerOnce, type RegistrationState } from "./registration.ts";
import { openSqliteSink, type SqliteSink } from "./sqlite-sink.ts";
import { clusterVerdicts, type BackendVerdict, type QuorumRule } from "./verdict.ts";

/** With a mirror to serve from, how long start() gives etcd to answer before registering in the background. */
const MIRROR_PROBE_MS = 1000;

export class ClusterNode {
  readonly keys: ClusterKeys;
  readonly client: EtcdClient;
  readonly leased: LeasedKeys;
  readonly registry: NodeRegistry;
  readonly health: HealthPublisher;
  readonly configMirror: PrefixMirror;
  readonly nodesMirror: PrefixMirror;
  readonly healthMirror: PrefixMirror;
  /** Every node's ack, mirrored while this node is asked about them. */
  readonly acks: AckFeed;
  private readonly sink: SqliteSink;
  private readonly nodesSink = new MemorySink();
  private readonly votesSink = new MemorySink();
  private state: ConfigState;
  private stateBroken = false;
  private readonly registration: RegistrationState = { registered: false, lastError: "" };
  private readonly stopping = new AbortController();
  private background: Promise<void> = Promise.resolve();
  private leaseHandedOver = false;
  private readonly nodeListeners = new Set<() => void>();
  private readonly configListeners = new Set<(state: ConfigState) => void>();
  private readonly voteListeners = new Set<() => void>();
  private readonly revisions: RevisionCounter;

  private constructor(readonly opts: ClusterNodeOptions) {
    this.keys = clusterKeys(opts.root);
    this.client = new EtcdClient({ endpoints: opts.endpoints, requestTimeoutMs: opts.requestTimeoutMs, deadlineMs: opts.deadlineMs });
    this.sink = openSqliteSink(opts.dbPath, this.keys.config);
    this.state = readConfigState(this.sink.entries(), this.keys);
    this.leased = new LeasedKeys({ client: this.client, ttlS: opts.ttlS ?? 10, continueLease: opts.continueLease, log: opts.log });
    // the process's start, as /v1/status says it: after an upgrade the record shows the new process
    const self = { name: opts.name, admin_url: opts.adminUrl, version: opts.version, started_at: new Date(performance.timeOrigin).toISOString() };
    this.registry = new NodeRegistry({ client: this.client, keys: this.keys, leased: this.leased, self });
    this.health = new HealthPublisher(this.leased, this.keys, opts.name);
    this.revisions = new RevisionCounter(this.keys, this.state.revision);
    this.configMirror = this.mirror(this.keys.config, this.sink, (c) => this.configChanged(c));
    this.nodesMirror = this.mirror(this.keys.nodes, this.nodesSink, () => {
      for (const l of [...this.nodeListeners]) l();
    });
    this.healthMirror = this.mirror(this.keys.health, this.votesSink, () => {
      for (const l of [...this.voteListeners]) l();
    });
    this.acks = new AckFeed((sink) => this.mirror(this.keys.acks, sink, () => {
      for (const l of [...this.nodeListeners]) l();
    }), opts.ackLingerMs);
  }

  /**
   * Joins the cluster. With a mirror in dbPath it returns at once, serving the mirrored config, and
   * connects and registers in the background. Without one it waits up to startTimeoutMs for etcd,
   * then throws CLUSTER_UNAVAILABLE naming the endpoints it tried. Throws NODE_NAME_TAKEN when etcd
   * answers and a live node holds the name.
   */
  static async start(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const node = new ClusterNode(opts);
    try {
      await node.join();
    } catch (e) {
      await node.stop();
      throw e;
    }
    return node;
  }

  /** The config as this node's mirror holds it (synchronous, local). */
  config(): ConfigState {
    return this.state;
  }

  /** Calls `fn` after each change of the mirrored config (after opts.onConfig); returns the unsubscribe function. */
  onConfigChange(fn: (state: ConfigState) => void): () => void {
    this.configListeners.add(fn);
    return () => void this.configListeners.delete(fn);
  }

  /** Calls `fn` after each change of the mirrored health votes; returns the unsubscribe function. */
  onVotesChange(fn: () => void): () => void {
    this.voteListeners.add(fn);
    return () => void this.voteListeners.delete(fn);
  }

  /** Calls `fn` after each change of the mirrored node registry or acks; returns the unsubscribe function. */
  onNodesChange(fn: () => void): () => void {
    this.nodeListeners.add(fn);
    return () => void this.nodeListeners.delete(fn);
  }

  /** True once the config mirror has caught up with etcd (false while etcd is away). */
  get synced(): boolean {
    return this.configMirror.status.phase === "in_sync";
  }

  /**
   * Writes `doc` based on the mirror's current state (see writeConfig for the errors), and resolves
   * once this node's mirror holds the result; after a 412, once it holds the write that won.
   */
  async write(doc: ConfigState["doc"], opts: Omit<ConfigWriteOptions, "node">): Promise<ConfigWriteResult> {
    const wait = this.opts.deadlineMs ?? this.client.deadlineMs;
    // With the watch down, etcd is known to be away: one round over the members, not the whole deadline.
    const deadlineMs = this.configMirror.status.phase === "disconnected" ? Math.min(wait, this.client.requestTimeoutMs) : wait;
    const base = this.state.revision;
    try {
      const r = await writeConfig(this.client, this.keys, this.state, doc, { deadlineMs, ...opts, node: this.opts.name });
      if (r.changed) await this.configMirror.waitUntilSeen(r.etcdRevision, wait);
      return r;
    } catch (e) {
      const winner = (e as LbError).details?.[0] as { etcd_revision?: number } | undefined;
      if (winner?.etcd_revision) await this.configMirror.waitUntilSeen(winner.etcd_revision, wait);
      throw nothingWritten(e, base);
    }
  }

  /**
   * The live nodes (this one included once registered), with their lag behind this node's config
   * revision. This node's ack is its own; the others' are as the ack feed holds them: call
   * freshAcks() first for etcd's.
   */
  nodes(): NodeView[] {
    const revision = this.state.revision;
    const list = listNodes(this.nodesSink.entries(), revision, this.acks.entries());
    if (!this.registration.registered) return list;
    const self = this.registry.current();
    return list.map((n) => (n.name === self.name ? { ...self, lag: Math.max(0, revision - self.applied_revision) } : n));
  }

  /**
   * Starts the ack feed if it is off and waits until it holds etcd's acks: at most `timeoutMs`, and
   * not at all while etcd is known to be away (nodes() then has the acks last held). True when fresh.
   */
  freshAcks(timeoutMs = this.client.requestTimeoutMs): Promise<boolean> {
    const away = this.configMirror.status.phase === "disconnected";
    return this.acks.fresh(away ? 0 : timeoutMs);
  }

  /** Resolves when every live node has applied or refused config `revision`, or at the timeout. */
  async waitApplied(revision: number, timeoutMs: number): Promise<AppliedReport> {
    const deadline = Date.now() + timeoutMs;
    this.acks.hold();
    try {
      await this.acks.fresh(timeoutMs);
      return await waitForApplied(() => this.nodes(), (fn) => this.onNodesChange(fn), revision, Math.max(0, deadline - Date.now()));
    } finally {
      this.acks.release();
    }
  }

  /** Every node's health votes, and the cluster's verdict per backend (see verdict.ts). */
  votes(): Vote[] {
    return decodeVotes(this.votesSink.entries(), this.keys);
  }

  verdicts(ruleOf?: (pool: string) => QuorumRule): Map<string, BackendVerdict> {
    return clusterVerdicts(this.votes(), ruleOf);
  }

  status(): ClusterNodeStatus {
    return {
      name: this.opts.name,
      endpoints: this.client.endpoints.all,
      member: this.client.endpoints.current(),
      registered: this.registration.registered,
      registrationError: this.registration.lastError,
      config: { ...this.configMirror.status },
      nodes: { ...this.nodesMirror.status },
      health: { ...this.healthMirror.status },
      revisionsApplied: this.revisions.applied,
      revisionsRepeated: this.revisions.repeated,
    };
  }

  /**
   * The node that upgrades this one serves now and carries on this lease (continueLease): nothing
   * more is written under it from here, and stop() leaves it alive.
   */
  async handOver(): Promise<void> {
    this.leaseHandedOver = true;
    await this.leased.stop({ revoke: false });
  }

  /** Leaves the cluster: the lease is revoked (record and votes vanish at once), mirrors stop. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.background;
    await this.leased.stop({ revoke: !this.leaseHandedOver });
    await Promise.all([this.configMirror.stop(), this.nodesMirror.stop(), this.healthMirror.stop(), this.acks.stop()]);
    this.client.close();
    this.sink.close();
  }

  /**
   * With a mirror the node serves at once: registration waits in the background for etcd, or for
   * the name's previous record (this node's own, after kill -9) to expire, unless a live twin
   * answers for the name. Without one, etcd must answer and the name be free before it starts.
   */
  private async join(): Promise<void> {
    for (const m of [this.configMirror, this.nodesMirror, this.healthMirror]) m.start();
    const mirrored = this.sink.state().appliedRevision > 0;
    if (!mirrored) await this.firstSync();
    else if (!(await this.reachable(MIRROR_PROBE_MS))) return this.registerLater("etcd did not answer at start");
    try {
      await registerOnce(this.leased, this.registry, mirrored ? 0 : this.opts.nameWaitMs);
      this.registration.registered = true;
    } catch (e) {
      const later = isLbError(e, "CLUSTER_UNAVAILABLE") || (mirrored && isLbError(e, "NODE_NAME_TAKEN") && !takenByLiveTwin(e));
      if (!later) throw e;
      this.registerLater((e as Error).message);
    }
  }

  /** Serving from the mirror: registration goes on in the background until etcd answers. */
  private registerLater(why: string): void {
    this.registration.lastError = why;
    this.background = registerInBackground(this.client, this.leased, this.registry, this.registration, {
      signal: this.stopping.signal,
      onTaken: (err) => this.opts.onNameTaken?.(err),
      log: this.opts.log,
    });
  }

  private reachable(ms: number): Promise<boolean> {
    return this.client.range(this.keys.configRevision, { countOnly: true }, { deadlineMs: ms }).then(
      () => true,
      () => false,
    );
  }

  /** No mirror to serve from: etcd must answer within startTimeoutMs. */
  private async firstSync(): Promise<void> {
    const ok = await new Promise<boolean>((resolve) => {
      const deadline = Date.now() + (this.opts.startTimeoutMs ?? 5000);
      const tick = () => {
        if (this.configMirror.status.resyncs > 0) resolve(true);
        else if (Date.now() > deadline) resolve(false);
        else setTimeout(tick, 20);
      };
      tick();
    });
    if (!ok) {
      const why = this.configMirror.status.lastError || "no answer";
      throw new LbError("CLUSTER_UNAVAILABLE", `cannot reach etcd at ${this.client.endpoints.all.join(", ")} (${why}) and ${this.opts.dbPath} holds no mirrored config to serve from`);
    }
  }

  /**
   * A change reached the mirror: decode what changed (read through the change: the sink takes a
   * watch batch after this). A shard that does not decode (written by
   * something else) keeps the node on its last good config; the next change then re-reads it all.
   */
  private configChanged(change: MirrorChange): void {
    const keys = change.keys;
    this.revisions.count(change, () => Number(text(this.sink.get(this.keys.configRevision)?.value ?? new Uint8Array())) || 0);
    try {
      this.state = this.stateBroken ? readConfigState(change.entries(), this.keys) : updateConfigState(this.state, keys, change.get, this.keys);
      this.stateBroken = false;
    } catch (e) {
      this.stateBroken = true;
      this.opts.log?.(`cluster config unreadable, serving revision ${this.state.revision}: ${(e as Error).message}`);
      return;
    }
    this.opts.onConfig?.(this.state);
    for (const l of [...this.configListeners]) l(this.state);
  }

  private mirror(prefix: string, sink: MirrorSink, onChange: (change: MirrorChange) => void): PrefixMirror {
    const { client, opts } = this;
    return new PrefixMirror({ client, prefix, sink, watchdogMs: opts.watchdogMs ?? 15_000, log: opts.log, onChange });
  }
}

