/**
 * Control part: the node's active health checks, run once for the whole node (in the health
 * Worker, as for a node without workers), and relayed to every worker as verdicts. The checker is
 * reconciled with each snapshot just before the snapshot is posted, so every verdict it reports
 * afterwards reaches a worker after the config it is about (RelayedHealth mirrors the same
 * reconcile). /v1/status reads `health()`: a verdict shows there only once every worker has it.
 * In a cluster (`shared`) this node's verdicts are its votes and the workers get the cluster's
 * verdict, as a data plane of one thread builds from it.
 */
import type { Snapshot } from "../../config/index.ts";
import { createHealthChecker, type ActiveHealthChecker } from "../../health/index.ts";
import { rateLimitedLog, type EventLog } from "../../obs/index.ts";
import type { BackendHealth } from "../../status.ts";
import { checkSpecOf, probedBackends, type SharedHealth } from "../pools/pool-registry.ts";
import type { FlipRecord, ToWorker } from "./protocol.ts";

export interface HealthRelayOptions {
  /** Posts to every worker. */
  broadcast(m: ToWorker): void;
  log: EventLog;
  /** Probes in the health Worker (default) or on this thread. */
  offThread?: boolean;
  /** In a cluster: where this node's verdicts go (votes), and the verdicts the workers build from. */
  shared?: SharedHealth;
}

export class HealthRelay {
  readonly #checker: ActiveHealthChecker;
  /** What each pool's checker was last set to (pools whose check and backends did not change are not touched). */
  readonly #set = new Map<string, string>();
  #snap: Snapshot | undefined;
  #seq = 0;
  #flips: FlipRecord[] = [];
  #passes = new Map<string, Set<string>>();
  #flushQueued = false;
  /** Verdicts some worker has not applied yet: "pool\0backend" → what status still shows, and the batch that changed it last. */
  readonly #unacked = new Map<string, { shown: boolean | undefined; seq: number }>();
  readonly #log: EventLog;
  /** Flips per pool, by the state entered (fulcrum_pool_health_transitions_total: counted once per node). */
  readonly transitions = new Map<string, { healthy: number; unhealthy: number }>();
  /** The backends each pool checks, as last told to `shared`. */
  readonly #probed = new Map<string, readonly string[]>();
  readonly #unshare: () => void;

  constructor(private readonly opts: HealthRelayOptions) {
    this.#log = rateLimitedLog(opts.log, 20, "health events");
    this.#checker = createHealthChecker(
      (pool, backend, healthy, reason) => this.#onFlip(pool, backend, healthy, reason),
      (pool, backend) => this.#onPass(pool, backend),
      { offThread: opts.offThread ?? process.env.FULCRUM_HEALTH_WORKER !== "0", onFallback: (why) => opts.log(`health: checks run on the control thread (${why})`, "warn") },
    );
    this.#unshare = opts.shared?.subscribe((pools) => pools.forEach((p) => this.#relayVerdicts(p))) ?? (() => {});
  }

  /** The last health batch posted (workers acknowledge up to it). */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Reconciles the checks with `snap` (only the pools in `changed` and `removed` when given); call
   * right before the snapshot is posted to the workers.
   */
  apply(snap: Snapshot, changed?: ReadonlySet<string>, removed?: readonly string[]): void {
    this.#flush(); // verdicts about the previous revision go first
    this.#snap = snap;
    for (const name of removed ?? [...this.#set.keys()]) {
      if (snap.pools[name] || !this.#set.has(name)) continue;
      this.#set.delete(name);
      this.#checker.removePool(name);
      this.#share(name, []);
    }
    for (const p of changed ? [...changed].map((n) => snap.pools[n]).filter((x) => x !== undefined) : Object.values(snap.pools)) {
      const spec = checkSpecOf(p);
      const probed = probedBackends(p);
      const key = JSON.stringify([spec ?? null, probed]);
      if (this.#set.get(p.name) === key) continue;
      this.#set.set(p.name, key);
      this.#checker.setPool(p.name, spec, probed);
      this.#share(p.name, spec ? probed : []);
      this.#relayVerdicts(p.name);
    }
  }

  /** The verdict the workers build from: the cluster's when it has one, else this node's check. */
  verdict(pool: string, backend: string): boolean | undefined {
    return this.opts.shared?.verdict(pool, backend) ?? this.#checker.healthy(pool, backend);
  }

  /** Tells `shared` this node's verdict on each backend it now checks in `pool`, and which it stopped checking. */
  #share(pool: string, probed: readonly string[]): void {
    const shared = this.opts.shared;
    if (!shared) return;
    const now = new Set(probed);
    for (const a of this.#probed.get(pool) ?? []) if (!now.has(a)) shared.local(pool, a, undefined);
    for (const a of probed) shared.local(pool, a, this.#checker.healthy(pool, a));
    this.#probed.set(pool, probed);
  }

  /** In a cluster: every checked backend of `pool` at its verdict (a worker ignores what it already has). */
  #relayVerdicts(pool: string): void {
    if (!this.opts.shared) return;
    for (const b of this.#probed.get(pool) ?? []) {
      const h = this.verdict(pool, b);
      if (h !== undefined) this.#flips.push([pool, b, h, undefined]);
    }
    this.#queue();
  }

  /** Every checked backend's verdict now (for a worker that starts with nothing). */
  verdicts(): FlipRecord[] {
    const out: FlipRecord[] = [];
    for (const p of Object.values(this.#snap?.pools ?? {})) {
      for (const b of probedBackends(p)) {
        const h = this.verdict(p.name, b);
        if (h !== undefined) out.push([p.name, b, h, undefined]);
      }
    }
    return out;
  }

  /** The verdict /v1/status shows: the last one every worker has applied. */
  health(pool: string, backend: string): BackendHealth {
    const pending = this.#unacked.get(`${pool}\u0000${backend}`);
    // This node's own check (in a cluster, its vote: the admin API shows the cluster's beside it).
    const h = pending ? pending.shown : this.#checker.healthy(pool, backend);
    return h === undefined ? "unknown" : h ? "healthy" : "unhealthy";
  }

  /** Every worker has applied health batches up to `seq`. */
  acked(seq: number): void {
    for (const [key, u] of this.#unacked) if (u.seq <= seq) this.#unacked.delete(key);
  }

  stop(): void {
    this.#unshare();
    this.#checker.stop();
  }

  #onFlip(pool: string, backend: string, healthy: boolean, reason: string | undefined): void {
    const bad = !healthy;
    this.#log(`health: pool ${pool} backend ${backend} ${healthy ? "healthy" : "unhealthy"}${reason ? `: ${reason}` : ""}`, bad ? "warn" : "info", { pool, backend, health: healthy ? "healthy" : "unhealthy", reason });
    let t = this.transitions.get(pool);
    if (!t) this.transitions.set(pool, (t = { healthy: 0, unhealthy: 0 }));
    t[healthy ? "healthy" : "unhealthy"]++;
    if (this.opts.shared) {
      // A vote: the cluster's verdict (ClusterHealth tells its subscribers) is what workers get.
      this.opts.shared.local(pool, backend, healthy, reason);
      return this.#relayVerdicts(pool);
    }
    const key = `${pool}\u0000${backend}`;
    // What status showed before this flip, kept until every worker has it.
    const had = this.#unacked.get(key);
    this.#unacked.set(key, { shown: had ? had.shown : !healthy, seq: this.#seq + 1 });
    this.#flips.push([pool, backend, healthy, reason]);
    this.#queue();
  }

  #onPass(pool: string, backend: string): void {
    let set = this.#passes.get(pool);
    if (!set) this.#passes.set(pool, (set = new Set()));
    set.add(backend);
    this.#queue();
  }

  #queue(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#flips.length > 0) {
      this.opts.broadcast({ t: "flips", seq: ++this.#seq, flips: this.#flips });
      this.#flips = [];
    }
    if (this.#passes.size > 0) {
      this.opts.broadcast({ t: "passes", passes: [...this.#passes].map(([pool, set]) => [pool, [...set]]) });
      this.#passes = new Map();
    }
  }
}
