/**
 * Keeps every pool's PoolRuntime current: on each config snapshot, and whenever health (active
 * checks, outlier ejections, slow-start ramps) changes the usable set. Rebuilds happen off the hot
 * path, coalesced per pool (many flips within `rebuildDelayMs` cost one rebuild), and publish by
 * one Map write that the data plane reads per request or connection. In a cluster, a backend's
 * active-check health is the cluster's verdict (SharedHealth) when there is one, so every node
 * builds the same selectors and tables; outlier ejection stays this node's own.
 */
import type { Snapshot, SnapshotPool } from "../../config/index.ts";
import {
  type ActiveHealthChecker,
  computeUsable,
  createHealthChecker,
  OutlierDetector,
  resolveOutlierSpec,
  type OnFlip,
  type Outcome,
} from "../../health/index.ts";
import { CircuitBreaker, type BreakerCells } from "../../limits/index.ts";
import { slotNames, type NodeShare } from "../shared/node-share.ts";
import { BackendStats } from "./backend-stats.ts";
import { checkSpecOf, probedBackends } from "./pool-checks.ts";
import { poolChangesFrom } from "./pool-changes.ts";
import { buildPoolRuntime, type PoolRuntime } from "./pool-runtime.ts";

export { checkSpecOf, probedBackends };

interface PoolState {
  config: SnapshotPool;
  stats: Map<string, BackendStats>;
  breaker: CircuitBreaker;
  outlier: OutlierDetector | undefined;
  outlierKey: string;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Active-check flips so far, by the state entered (a counter survives config changes). */
  transitions: { healthy: number; unhealthy: number };
  /** Backends this node checks (their verdicts are told to SharedHealth). */
  probed: readonly string[];
}

/**
 * Health shared by the nodes of a cluster (the control part implements it over etcd). The data
 * plane reads the verdicts when it rebuilds a pool, never per request.
 */
export interface SharedHealth {
  /** The cluster's verdict on a backend (true = up), or undefined: then this node's own check decides. */
  verdict(pool: string, address: string): boolean | undefined;
  /** Calls `fn` with the pools whose verdicts changed; returns the unsubscribe function. */
  subscribe(fn: (pools: readonly string[]) => void): () => void;
  /** This node's own check verdict on a backend: when checking starts, on each flip, undefined when it stops. */
  local(pool: string, address: string, healthy: boolean | undefined, reason?: string): void;
}

export interface PoolRegistryOptions {
  /** Coalescing window for health-driven rebuilds (default 100 ms). */
  rebuildDelayMs?: number;
  /** Told after a pool's runtime was replaced (metrics, logs). */
  onRebuild?(rt: PoolRuntime): void;
  /** Told on every health flip and ejection, with why ("timeout after 1000 ms"), for logs. */
  onHealthEvent?(pool: string, backend: string, event: "healthy" | "unhealthy" | "ejected" | "returned", reason?: string): void;
  /** Active checks run in a Worker, off the data-plane thread (default true; false: in-thread). */
  healthWorker?: boolean;
  /**
   * Where health verdicts come from instead of checks of this registry's own (a worker of a node
   * whose control part runs the checks): built with the registry's flip and pass callbacks.
   */
  checker?: (onFlip: OnFlip, onPass: (pool: string, backend: string) => void) => ActiveHealthChecker;
  /** The node's shared gauges (a node of several workers): breakers and load count for the node. */
  node?: NodeShare;
  /** In a cluster: the verdicts to build from, and where this node's own go. */
  sharedHealth?: SharedHealth;
}

export class PoolRegistry {
  readonly #runtimes = new Map<string, PoolRuntime>();
  readonly #states = new Map<string, PoolState>();
  readonly #checker: ActiveHealthChecker;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #unshare: () => void;
  /** The pool table of the last snapshot applied. */
  #table: Snapshot["pools"] | undefined;

  constructor(private readonly opts: PoolRegistryOptions = {}) {
    const onFlip: OnFlip = (pool, backend, healthy, reason) => this.#onFlip(pool, backend, healthy, reason);
    // Envoy's successful_active_health_check_uneject_host: any passing check ends an ejection.
    const onPass = (pool: string, backend: string) => this.#states.get(pool)?.outlier?.activeCheckPassed(backend);
    this.#checker = opts.checker
      ? opts.checker(onFlip, onPass)
      : createHealthChecker(onFlip, onPass, {
          offThread: opts.healthWorker ?? process.env.FULCRUM_HEALTH_WORKER !== "0",
          onFallback: (reason) => console.warn(`health: checks run on the data-plane thread (${reason})`),
        });
    // Ejections end by time; a coarse sweep returns them (isEjected also ends them lazily).
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const st of this.#states.values()) st.outlier?.sweep(now);
    }, 500);
    this.#sweeper.unref?.();
    this.#unshare = opts.sharedHealth?.subscribe((pools) => pools.forEach((p) => this.#schedule(p))) ?? (() => {});
  }

  /** The pool's runtime now, or undefined for an unknown pool. Read once per request/connection. */
  current(name: string): PoolRuntime | undefined {
    return this.#runtimes.get(name);
  }

  /** Active-check flips of `pool` so far, by the state entered (metrics). */
  transitions(pool: string): Readonly<{ healthy: number; unhealthy: number }> | undefined {
    return this.#states.get(pool)?.transitions;
  }

  /** Every pool's runtime (status, metrics). */
  all(): IterableIterator<PoolRuntime> {
    return this.#runtimes.values();
  }

  /**
   * Reconciles with a new config snapshot: pools added, changed or removed; each rebuilt now. A
   * table derived from the last one applied with a note of what changed (pool-changes.ts) costs
   * the pools it names; any other is walked whole.
   */
  apply(snap: Snapshot): void {
    const last = this.#table;
    this.#table = snap.pools;
    if (snap.pools === last) return;
    const changed = poolChangesFrom(snap.pools, last);
    const configs = changed ? [...changed].flatMap((name) => snap.pools[name] ?? []) : Object.values(snap.pools);
    this.#applyPools(snap, changed ?? this.#states.keys(), configs);
  }

  /** Drops the pools of `known` that `snap` lacks, then takes in `configs` (each skipped if it is the object held). */
  #applyPools(snap: Snapshot, known: Iterable<string>, configs: readonly SnapshotPool[]): void {
    for (const name of known) {
      const st = this.#states.get(name);
      if (st !== undefined && !snap.pools[name]) this.#dropPool(name, st);
    }
    const now = Date.now();
    for (const config of configs) {
      // The same compiled pool as before (a worker reuses what a revision did not change): nothing to do.
      if (this.#states.get(config.name)?.config === config) continue;
      const known = this.#states.has(config.name);
      const st = this.#stateFor(config);
      const present = new Set(config.backends.map((b) => b.address));
      for (const addr of st.stats.keys()) if (!present.has(addr)) st.stats.delete(addr);
      // A backend that joins a running pool (added to the config, or found in DNS) ramps up like
      // one returning to health (Envoy's slow start does the same for new hosts).
      if (known && config.slowStartMs > 0) {
        for (const b of config.backends) if (!st.stats.has(b.address)) this.#statsOf(st, b.address).healthySinceMs = now;
      }
      // Disabled backends are out of service: don't spend probes on them.
      const probed = probedBackends(config);
      const spec = checkSpecOf(config);
      this.#checker.setPool(config.name, spec, probed);
      this.#shareProbed(st, spec ? probed : []);
      st.outlier?.resize(config.backends.length);
      this.#rebuild(config.name);
    }
  }

  /** Feeds outlier detection with the outcome of one exchange with backend `i` of `rt`. */
  report(rt: PoolRuntime, i: number, outcome: Outcome): void {
    const stats = rt.stats[i]!;
    if (outcome === "gateway_failure") stats.failures++;
    else if (outcome === "http_5xx") stats.responses5xx++;
    rt.outlier?.report(stats.address, outcome, Date.now());
  }

  /** Active-check verdict: "unknown" when the pool has no health check. */
  health(pool: string, address: string): "healthy" | "unhealthy" | "unknown" {
    const h = this.#checker.healthy(pool, address);
    return h === undefined ? "unknown" : h ? "healthy" : "unhealthy";
  }

  /** Live counters of one backend, if it is configured. */
  stats(pool: string, address: string): BackendStats | undefined {
    return this.#states.get(pool)?.stats.get(address);
  }

  /** True while outlier detection has the backend ejected. */
  ejected(pool: string, address: string): boolean {
    return this.#states.get(pool)?.outlier?.isEjected(address, Date.now()) ?? false;
  }

  /** Times outlier detection has ejected the backend. */
  ejections(pool: string, address: string): number {
    return this.#states.get(pool)?.outlier?.ejectionsOf(address) ?? 0;
  }

  /** Stops health checks and timers. */
  stop(): void {
    this.#unshare();
    clearInterval(this.#sweeper);
    this.#checker.stop();
    for (const st of this.#states.values()) clearTimeout(st.timer);
  }

  #stateFor(config: SnapshotPool): PoolState {
    let st = this.#states.get(config.name);
    const outlierKey = JSON.stringify(config.outlierDetection ?? null);
    if (!st) {
      st = { config, stats: new Map(), breaker: new CircuitBreaker(undefined, this.#breakerCells(config.name)), outlier: undefined, outlierKey: "", timer: undefined, transitions: { healthy: 0, unhealthy: 0 }, probed: [] };
      this.#states.set(config.name, st);
    }
    st.config = config;
    st.breaker.spec = config.circuitBreaker;
    if (st.outlierKey !== outlierKey || (!st.outlier && config.outlierDetection)) {
      st.outlierKey = outlierKey;
      st.outlier = config.outlierDetection
        ? new OutlierDetector(config.name, resolveOutlierSpec(config.outlierDetection), config.backends.length, (p, b, e, why) => this.#onEject(p, b, e, why))
        : undefined;
    }
    return st;
  }

  /** The node's cells for pool `name`'s breaker; undefined (a breaker of its own) without a node share or a slot. */
  #breakerCells(name: string): BreakerCells | undefined {
    const node = this.opts.node;
    if (!node) return undefined;
    const slots = [node.slot(slotNames.breaker(name, "connections")), node.slot(slotNames.breaker(name, "pending")), node.slot(slotNames.breaker(name, "requests"))] as const;
    if (slots.some((s) => s < 0)) return undefined;
    return { cells: node.counters, slots, signal: () => node.signal() };
  }

  #dropPool(name: string, st: PoolState): void {
    this.#shareProbed(st, []);
    clearTimeout(st.timer);
    this.#checker.removePool(name);
    this.#states.delete(name);
    this.#runtimes.delete(name);
  }

  #statsOf(st: PoolState, address: string): BackendStats {
    let s = st.stats.get(address);
    if (!s) {
      s = new BackendStats(st.config.name, address);
      st.stats.set(address, s);
    }
    return s;
  }

  #rebuild(name: string): void {
    const st = this.#states.get(name);
    if (!st) return;
    clearTimeout(st.timer);
    st.timer = undefined;
    const now = Date.now();
    const live = st.config.backends.map((b) => ({
      key: b.address,
      weight: b.weight,
      state: b.state,
      healthy: this.opts.sharedHealth?.verdict(name, b.address) ?? this.#checker.healthy(name, b.address) ?? true,
      ejected: st.outlier?.isEjected(b.address, now) ?? false,
      healthySinceMs: st.stats.get(b.address)?.healthySinceMs,
    }));
    const usable = computeUsable(live, now, {
      panicThresholdPercent: st.config.panicThreshold,
      slowStartMs: st.config.slowStartMs,
      slowStartMinShare: 0.1,
    });
    const rt = buildPoolRuntime(st.config, usable.backends, usable.panic, (a) => this.#statsOf(st, a), st.breaker, st.outlier, usable.ramping, this.opts.node);
    this.#runtimes.set(name, rt);
    this.opts.onRebuild?.(rt);
    // While a backend ramps up, rebuild in steps of a tenth of the window.
    if (usable.ramping) this.#schedule(name, Math.max(100, st.config.slowStartMs / 10));
  }

  #schedule(name: string, delayMs = this.opts.rebuildDelayMs ?? 100): void {
    const st = this.#states.get(name);
    if (!st || st.timer) return;
    st.timer = setTimeout(() => this.#rebuild(name), delayMs);
  }

  #onFlip(pool: string, backend: string, healthy: boolean, reason: string | undefined): void {
    const st = this.#states.get(pool);
    if (!st) return;
    const stats = this.#statsOf(st, backend);
    stats.healthySinceMs = healthy ? Date.now() : undefined;
    st.transitions[healthy ? "healthy" : "unhealthy"]++;
    if (healthy) st.outlier?.activeCheckPassed(backend);
    this.opts.sharedHealth?.local(pool, backend, healthy, reason);
    this.opts.onHealthEvent?.(pool, backend, healthy ? "healthy" : "unhealthy", reason);
    this.#schedule(pool);
  }

  /** Tells SharedHealth this node's verdict on each backend it now checks, and which it stopped checking. */
  #shareProbed(st: PoolState, probed: readonly string[]): void {
    const shared = this.opts.sharedHealth;
    if (!shared) return;
    const now = new Set(probed);
    for (const a of st.probed) if (!now.has(a)) shared.local(st.config.name, a, undefined);
    for (const a of probed) shared.local(st.config.name, a, this.#checker.healthy(st.config.name, a));
    st.probed = probed;
  }

  #onEject(pool: string, backend: string, ejected: boolean, reason: string): void {
    this.opts.onHealthEvent?.(pool, backend, ejected ? "ejected" : "returned", reason);
    // An ejection comes from the hot path (report): rebuild on the next tick, not inside it.
    this.#schedule(pool, 0);
  }
}
