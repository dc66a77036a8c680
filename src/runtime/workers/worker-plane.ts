/**
 * A node's data plane as N workers (`fulcrum start --workers N`, N ≥ 2), seen from its control
 * part: the shared memory (gauges, rate-limit buckets), the workers (worker-set.ts), health
 * checks run once and relayed (health-relay.ts), and the node's view of them for the admin API
 * (RuntimeView over merged counters, the stats history, merged metrics with per-worker series).
 * DNS discovery runs here too, once per node: the backends it finds reach the workers with the
 * config (config-feed.ts). A revision counts as applied, for /v1/status and /readyz, once every
 * live worker serves it.
 */
import type { ConfigDoc, Snapshot } from "../../config/index.ts";
import { SnapshotHolder } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import type { EventLog, Registry } from "../../obs/index.ts";
import type { HistoryQuery, RuntimeView } from "../../status.ts";
import { preflightListeners } from "../listeners/preflight.ts";
import { ClientCounts, KeyTable, NodeCounters, SlotBook } from "../shared/index.ts";
import { NodeShare } from "../shared/node-share.ts";
import { StatsHistory } from "../stats/history.ts";
import { historySources } from "../stats/history-sources.ts";
import { trafficView } from "../stats/traffic-stats.ts";
import { BUCKET_WIDTH } from "../l7/shared-rate-limiter.ts";
import type { ResourceRevisions } from "./config-feed.ts";
import { HealthRelay } from "./health-relay.ts";
import { PoolTables } from "./pool-table.ts";
import type { SharedHealth } from "../pools/pool-registry.ts";
import { NodeStats } from "./node-stats.ts";
import { startStatsTick } from "./stats-tick.ts";
import { WorkerSet } from "./worker-set.ts";
import { closeFd } from "../handover/fds.ts";
import { socketsFor, type Handoff, type HandedListener } from "../handover/handoff.ts";
import { DnsDiscovery } from "../../discovery/index.ts";
import { DISCOVERY_START_WAIT_MS } from "../data-plane.ts";

export interface WorkerPlaneOptions {
  /** Workers (≥ 2). */
  count: number;
  /** The control part's published revisions. */
  holder: SnapshotHolder;
  /**
   * The validated document of a published revision (the store's), with the store's revision of
   * each resource in it when known (the hand-out then serializes only resources whose revision
   * moved); undefined when the store moved on.
   */
  docOf(snap: Snapshot): { doc: ConfigDoc; resources?: ResourceRevisions } | undefined;
  metrics: Registry;
  log: EventLog;
  /** Honour the test-only fault header (FULCRUM_TEST_FAULTS=1). */
  faults?: boolean;
  /** Shared gauge slots (default 262,144: pools × 5 + backends). */
  slots?: number;
  /** Rate-limit buckets kept for the node (default 131,072 clients across all limits). */
  rateBuckets?: number;
  /** How long the first revision may take to reach every worker (default 30 s). */
  startTimeoutMs?: number;
  /** The sockets of the node this one upgrades, taken over instead of bound. */
  handoff?: Handoff;
  /** In a cluster: the health verdicts the workers build from (this node's checks are votes). */
  sharedHealth?: SharedHealth;
}

/** What startNode gets: a data plane, plus what only a node of workers has. */
export interface WorkerPlane {
  readonly runtime: RuntimeView;
  /** Revisions every live worker serves (what /v1/status reports as applied). */
  readonly applied: SnapshotHolder;
  readonly workers: WorkerSet;
  ready(): boolean;
  /** Every worker's listening sockets, to hand to a node that upgrades this one. */
  sockets(): Promise<HandedListener[]>;
  /** SIGUSR1 in every worker: access logs written out and reopened; their paths. */
  reopenLogs(): Promise<string[]>;
  /** Fresh counters from every worker (before /v1/status, /metrics or the history answer). */
  refresh(metrics: boolean): Promise<void>;
  /** Resolves once every live worker serves `revision` (or after `timeoutMs`). */
  whenApplied(revision: number, timeoutMs?: number): Promise<void>;
  /** Drains and stops every worker; `closed` is called once none accepts any more. */
  stop(graceMs?: number, closed?: () => void): Promise<void>;
}

/** Starts the workers on the holder's current revision; throws LbError when they cannot serve it. */
export async function startWorkerPlane(o: WorkerPlaneOptions): Promise<WorkerPlane> {
  // Workers bind beside each other (reusePort), which would also let them share a port another
  // process holds: the addresses are checked once here, as a node of one thread checks each bind.
  const taken = new Map((o.handoff?.listeners ?? []).map((l) => [l.name, l.address] as const));
  const start = o.holder.current();
  if (start) await preflightListeners({ ...start, listeners: start.listeners.filter((l) => taken.get(l.name) !== l.address) });
  const discovery = new DnsDiscovery({ holder: o.holder, metrics: o.metrics, log: o.log });
  await discovery.ready(DISCOVERY_START_WAIT_MS);
  const first = o.holder.current();
  const share = NodeShare.layoutFor(o.slots ?? 1 << 18, o.count);
  const counters = NodeCounters.attach(share.counters, -1);
  const clients = ClientCounts.attach(share.clients, -1);
  const rates = KeyTable.create(o.rateBuckets ?? 1 << 17, BUCKET_WIDTH, "lru");
  let stats: NodeStats | undefined;
  const inherited = handedSockets(o);
  const set = new WorkerSet({
    inherited,
    count: o.count,
    share,
    rates: rates.layout(),
    book: new SlotBook(counters),
    log: o.log,
    faults: o.faults ?? false,
    reclaim: (id) => {
      counters.reclaim(id);
      clients.reclaim(id);
    },
    onDeath: (h) => stats?.retire(h),
  });
  const relay = new HealthRelay({ broadcast: (m) => set.broadcast(m), log: o.log, ...(o.sharedHealth ? { shared: o.sharedHealth } : {}) });
  set.relay = relay;
  for (const l of o.handoff?.listeners ?? []) {
    const configured = o.holder.current()?.listeners.find((x) => x.name === l.name);
    if (configured?.port === 0 && configured.address === l.address) set.pin(l.name, l.address, l.port);
  }
  stats = new NodeStats(() => set.live(), o.count);
  const applied = new SnapshotHolder();
  // Snapshots of one revision follow each other too (backends found in DNS): the latest one every
  // worker serves is what the node reports.
  let handed = 0;
  let shown = 0;
  const publish = (snap: Snapshot): void => {
    const stored = o.docOf(snap);
    if (!stored) return void o.log(`config: revision ${snap.revision} is no longer stored; a later one follows`, "warn");
    const n = ++handed;
    void set.publish(snap, stored.doc, stored).then(() => set.applied(snap.revision)).then(() => {
      if (n < shown) return;
      shown = n;
      applied.publish(snap);
    });
  };
  set.start();
  if (first) publish(first);
  const unsubscribe = o.holder.subscribe(publish);
  const plane = view(o, set, stats, relay, applied, discovery, unsubscribe);
  if (first) await startOrThrow(plane, set, first.revision, o.startTimeoutMs ?? 30_000);
  return plane;
}

/**
 * Each worker's share of the handed-over sockets (asked once per worker index: a replacement binds
 * afresh); descriptors for listeners this node does not serve as the old one did are closed.
 */
function handedSockets(o: WorkerPlaneOptions): ((id: number) => Record<string, { fds: number[]; port: number }>) | undefined {
  const h = o.handoff;
  if (!h) return undefined;
  const config = new Map((o.holder.current()?.listeners ?? []).map((l) => [l.name, l.address] as const));
  for (const l of h.listeners) if (config.get(l.name) !== l.address) l.fds.forEach(closeFd);
  const given = new Set<number>();
  return (id) => {
    if (given.has(id)) return {};
    given.add(id);
    return Object.fromEntries(socketsFor(h, config, { id, of: o.count }));
  };
}

/** Waits for the first revision to reach every worker; a listener none could bind is fatal, as without workers. */
async function startOrThrow(plane: WorkerPlane, set: WorkerSet, revision: number, timeoutMs: number): Promise<void> {
  await plane.whenApplied(revision, timeoutMs);
  const errors = new Map<string, string>();
  for (const h of set.live()) for (const [name, e] of Object.entries(h.errors)) errors.set(name, e);
  const late = set.appliedRevision() < revision;
  if (errors.size === 0 && !late) return;
  await plane.stop(0);
  if (late) throw new LbError("INTERNAL", `the workers did not start serving revision ${revision} within ${timeoutMs} ms`);
  const details = [...errors].map(([name, message]) => ({ path: `listener ${name}`, message }));
  throw new LbError("CONFIG_INVALID", `${errors.size} listener(s) could not bind`, { details });
}

function view(
  o: WorkerPlaneOptions,
  set: WorkerSet,
  stats: NodeStats,
  relay: HealthRelay,
  applied: SnapshotHolder,
  discovery: DnsDiscovery,
  unsubscribe: () => void,
): WorkerPlane {
  const history = new StatsHistory({
    sources: () =>
      historySources(applied.current(), {
        listener: (n) => stats.traffic("listener", n),
        route: (k) => stats.traffic("route", k),
        pool: (n) => stats.traffic("pool", n),
        backend: (p, a) => stats.backend(p, a),
        connections: () => stats.connections(),
      }),
  });
  const ticker = startStatsTick(set, stats, history, applied);
  registerWorkerMetrics(o.metrics, set, stats);
  // Checks run once per node: their flips are counted here, not once per worker.
  o.metrics.counter("fulcrum_pool_health_transitions_total", "Backends turned healthy or unhealthy by active checks, per pool", ["pool", "to"], (c) => {
    // Every pool served, as a data plane of one thread counts them (0 until a flip).
    for (const pool of Object.keys(applied.current()?.pools ?? {})) {
      const t = relay.transitions.get(pool) ?? { healthy: 0, unhealthy: 0 };
      c.set(t.healthy, { pool, to: "healthy" });
      c.set(t.unhealthy, { pool, to: "unhealthy" });
    }
  });
  const tables = new PoolTables((pool, backend) => relay.verdict(pool, backend));
  const runtime: RuntimeView = {
    backendHealth: (pool, address) => relay.health(pool, address),
    poolTable: (name) => tables.of(applied.current()?.pools[name]),
    backendStats: (pool, address) => stats.backendView(pool, address),
    traffic: (scope, name) => trafficView(stats.traffic(scope, name)),
    listeners: () => stats.listeners(),
    history: (q: HistoryQuery) => history.read(q),
    preflight: (snap) => preflightListeners(snap, { states: () => held(applied.current(), set) }),
    discovery: (pool) => discovery.state(pool),
    workerStates: () =>
      set.handles.map((h, worker) => ({
        worker,
        up: h !== undefined && h.alive && h.appliedRevision >= 0,
        revision: h?.appliedRevision ?? -1,
        connections: h?.stats?.connections ?? 0,
        requests_total: stats.workerRequests(worker, h),
        restarts: set.restarts[worker] ?? 0,
      })),
  };
  let stopped: Promise<void> | undefined;
  return {
    runtime,
    applied,
    workers: set,
    ready: () => set.live().length > 0 && set.live().every((h) => h.appliedRevision >= 0 && Object.keys(h.errors).length === 0),
    refresh: ticker.refresh,
    reopenLogs: () => set.reopenLogs(),
    sockets: () => set.sockets(),
    async whenApplied(revision, timeoutMs = 10_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([set.applied(revision), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    },
    stop: (graceMs = 0, closed?: () => void) =>
      (stopped ??= (async () => {
        unsubscribe();
        discovery.stop();
        ticker.stop();
        relay.stop();
        await set.stop(graceMs, closed);
      })()),
  };
}

/** The addresses the workers hold: the listeners of the revision they serve that none failed to bind (a port-0 one at the port they got). */
function held(snap: Snapshot | undefined, set: WorkerSet): { address: string; bound: boolean }[] {
  const failed = new Set(set.live().flatMap((h) => Object.keys(h.errors)));
  return (snap?.listeners ?? []).map((l) => {
    const port = l.port === 0 ? (set.pinnedPort(l.name) ?? 0) : l.port;
    return { address: `${l.host.includes(":") ? `[${l.host}]` : l.host}:${port}`, bound: !failed.has(l.name) };
  });
}

/** Per-worker series (fulcrum_worker_*) and the workers' merged families, on the node's registry. */
function registerWorkerMetrics(metrics: Registry, set: WorkerSet, stats: NodeStats): void {
  metrics.extra = () => stats.families();
  const ids = () => set.handles.map((h, id) => ({ h, worker: String(id) }));
  metrics.gauge("fulcrum_worker_connections", "Client connections open in each worker", ["worker"], (g) => {
    for (const { h, worker } of ids()) g.set(h?.stats?.connections ?? 0, { worker });
  });
  metrics.counter("fulcrum_worker_requests_total", "HTTP requests finished, and L4 connections and UDP flows relayed, by each worker (its predecessors' included)", ["worker"], (c) => {
    set.handles.forEach((h, id) => c.set(stats.workerRequests(id, h), { worker: String(id) }));
  });
  metrics.counter("fulcrum_worker_restarts_total", "Times each worker died and was started again", ["worker"], (c) => {
    set.restarts.forEach((n, id) => c.set(n, { worker: String(id) }));
  });
  metrics.gauge("fulcrum_worker_up", "1 while the worker serves (it runs and has applied a revision)", ["worker"], (g) => {
    for (const { h, worker } of ids()) g.set(h?.alive && h.appliedRevision >= 0 ? 1 : 0, { worker });
  });
}
