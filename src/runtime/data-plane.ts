/**
 * The data plane of one node: pool runtimes (selectors narrowed by health) and the bound
 * listeners, both kept in step with every published snapshot. `main` hands this to startNode as
 * its dataPlane; the admin API sees it only through the read-only RuntimeView it returns.
 */
import type { HistoryQuery, RuntimeView } from "../status.ts";
import type { Snapshot, SnapshotHolder, SnapshotListener } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { UpstreamPool } from "../l7/index.ts";
import { rateLimitedLog, type EventLog, type Registry } from "../obs/index.ts";
import { startL4Listener, type L4Listener } from "./listeners/l4-listener.ts";
import { newL7Deps } from "./l7/l7-deps.ts";
import { startL7Listener } from "./l7/l7-listener.ts";
import { registerH2Metrics } from "./l7/h2-metrics.ts";
import { ListenerSet, type BoundListener } from "./listeners/listener-set.ts";
import { registerDataPlaneMetrics } from "./stats/metrics.ts";
import { ListenerCounterBook } from "./stats/listener-counters.ts";
import { PoolRegistry, type SharedHealth } from "./pools/pool-registry.ts";
import { trafficView } from "./stats/traffic-stats.ts";
import { StatsHistory } from "./stats/history.ts";
import { historySources } from "./stats/history-sources.ts";
import { preflightListeners } from "./listeners/preflight.ts";
import { l4ConnectionCounter } from "./listeners/l4-connection-counts.ts";
import type { PoolRegistryOptions } from "./pools/pool-registry.ts";
import type { KeyTable } from "./shared/index.ts";
import type { NodeShare } from "./shared/node-share.ts";
import type { L7Stats } from "./stats/traffic-stats.ts";
import type { HandedListener } from "./handover/handoff.ts";
import { ClientLimits } from "./listeners/client-limits.ts";
import { listenerOf } from "./listeners/listener-lookup.ts";
import { registerAccessMetrics } from "./stats/access-counters.ts";
import { DnsDiscovery } from "../discovery/index.ts";

/** How long start waits for the first DNS lookups, so a pool fed by DNS does not open with no backend. */
export const DISCOVERY_START_WAIT_MS = 2000;

export interface DataPlaneOptions {
  holder: SnapshotHolder;
  metrics: Registry;
  /** Prints listener and health events (default: console), with a level and fields for a structured log. */
  log?: EventLog;
  /**
   * One worker of a node of several (runtime/workers): the node's shared gauges and rate-limit
   * buckets, health verdicts from the control part, listeners bound beside the other workers'
   * (reusePort, no exclusive probe: the control part checked the address), and the port each
   * port-0 listener binds (the one the first worker got).
   */
  worker?: {
    node: NodeShare;
    rates: KeyTable;
    checker: NonNullable<PoolRegistryOptions["checker"]>;
    portOf(listener: string): number | undefined;
  };
  /**
   * Listening sockets taken over from the node this one upgrades, by listener name: each listener
   * accepts on its descriptors (several: one listener on each) instead of binding; an empty list
   * (udp) binds beside the old node's socket without the exclusive probe; `port` is the port they
   * are bound to (a listener configured with port 0 keeps it). Used at first bind only.
   */
  inherited?: Map<string, { fds: number[]; port: number }>;
  /** In a cluster: backends' health is the cluster's verdict (this node's own checks are votes). */
  sharedHealth?: SharedHealth;
}

/** A running data plane. */
export interface RunningDataPlane {
  readonly pools: PoolRegistry;
  readonly listeners: ListenerSet;
  readonly runtime: RuntimeView;
  /** The L7 counters by listener, route and pool. */
  readonly stats: L7Stats;
  /** Connection counters by listener name. */
  readonly counters: ListenerCounterBook;
  /** L4 connections open to a backend, in this data plane's connection-tracking tables. */
  backendConnections(pool: string, address: string): number;
  /** Resolves when the latest snapshot's listeners are bound (or failed). */
  settled(): Promise<void>;
  /** The listening sockets, to hand to a node that upgrades this one. */
  sockets(): Promise<HandedListener[]>;
  ready(): boolean;
  /** Stops accepting (then calls `closed`), lets in-flight work finish for up to `graceMs`, then closes the rest. */
  stop(graceMs?: number, closed?: () => void): Promise<void>;
}

/** Starts the data plane on the holder's current snapshot and follows every later one. */
export async function startDataPlane(opts: DataPlaneOptions): Promise<RunningDataPlane> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const l4 = new Set<L4Listener>();
  const healthLog = rateLimitedLog(log, 20, "health events");
  const w = opts.worker;
  const pools = new PoolRegistry({
    // Verdicts come from the control part in batches: rebuild on the next tick, not 100 ms later.
    ...(w ? { checker: w.checker, node: w.node, rebuildDelayMs: 0 } : { sharedHealth: opts.sharedHealth }),
    onHealthEvent: (pool, backend, event, reason) => {
      const bad = event === "unhealthy" || event === "ejected";
      // A worker's active-check verdicts come from its control part, which logs them once.
      const relayed = w !== undefined && (event === "healthy" || event === "unhealthy");
      if (!relayed) healthLog(`health: pool ${pool} backend ${backend} ${event}${reason ? `: ${reason}` : ""}`, bad ? "warn" : "info", { pool, backend, health: event, reason });
      // A UDP flow stays on its backend until that backend fails: then its flows start afresh
      // (TCP connections to it fail, or finish, on their own).
      if (event === "unhealthy" || event === "ejected") {
        for (const l of l4) if (l.protocol === "udp") l.evict((p, a) => p !== pool || a !== backend);
      }
    },
  });
  const limits = new ClientLimits(w?.node.clients);
  const l7 = newL7Deps(opts.holder, pools, opts.metrics, limits, log, w ? { node: w.node, rates: w.rates } : undefined);
  const upstreams = new UpstreamPool();
  const counters = new ListenerCounterBook();
  const inherited = opts.inherited ?? new Map<string, { fds: number[]; port: number }>();
  const start = async (l: SnapshotListener, fd?: number): Promise<BoundListener> => {
    const taken = fd === undefined ? inherited.get(l.name) : undefined;
    inherited.delete(l.name);
    const handed = taken?.fds.length ? taken.fds : undefined;
    const pinned = l.port === 0 ? (taken?.port ?? w?.portOf(l.name)) : undefined;
    const target = pinned === undefined ? l : { ...l, port: pinned };
    try {
      if (handed !== undefined && handed.length > 1) return await bindAll(target, handed);
      return await bind(target, fd ?? handed?.[0]);
    } catch (err) {
      throw bindError(l, err);
    }
  };
  const bind = async (l: SnapshotListener, fd?: number): Promise<BoundListener> => {
    const where = (port: number) => `${l.host.includes(":") ? `[${l.host}]` : l.host}:${port}`;
    if (l.protocol === "http" || l.protocol === "https") {
      const bound = startL7Listener(l, l7, upstreams, counters.bind(l), fd);
      log(`listener ${l.name} (${l.protocol}) on ${where(bound.port)}`, "info", { listener: l.name, protocol: l.protocol, address: where(bound.port) });
      return bound;
    }
    const bound = await startL4Listener(l.name, opts.holder, pools, counters.bind(l), limits, l.port, fd);
    l4.add(bound);
    const stop = bound.stop.bind(bound);
    log(`listener ${l.name} (${l.protocol}) on ${where(bound.port)}`, "info", { listener: l.name, protocol: l.protocol, address: where(bound.port) });
    return { port: bound.port, fd: bound.fd, udp: bound.udp, active: bound.active, stop: async (g) => { l4.delete(bound); await stop(g); } };
  };
  /** One listener on each of several handed-over sockets (the old node had more workers than this one). */
  const bindAll = async (l: SnapshotListener, fds: readonly number[]): Promise<BoundListener> => {
    const parts: BoundListener[] = [];
    for (const fd of fds) parts.push(await bind(l, fd));
    return {
      port: parts[0]!.port,
      fd: parts[0]!.fd,
      active: () => parts.reduce((n, p) => n + p.active(), 0),
      stop: async (g) => void (await Promise.all(parts.map((p) => p.stop(g)))),
      retire: (g) => parts.forEach((p) => (p.retire ? p.retire(g) : void p.stop(g))),
    };
  };
  const listeners = new ListenerSet(start, (name, message) => log(`listener ${name} failed to bind: ${message}`, "error", { listener: name }), {
    exclusive: w === undefined,
    takenOver: (l) => inherited.has(l.name),
  });

  let last: Promise<void> = Promise.resolve();
  const apply = (snap: Snapshot): Promise<void> => (last = reconcile(snap));
  const reconcile = (snap: Snapshot): Promise<void> => {
    pools.apply(snap);
    // "disabled" means out now: established L4 connections to it (or to a removed backend) close;
    // "draining" ones finish on their own.
    const keep = (pool: string, address: string) =>
      snap.pools[pool]?.backends.some((b) => b.address === address && b.state !== "disabled") ?? false;
    for (const l of l4) l.evict(keep);
    return listeners.apply(snap);
  };
  // Resolution lives in the control part: it feeds the holder's snapshots, never the request path
  // (a worker's snapshots arrive with what its control part found).
  const discovery = w ? undefined : new DnsDiscovery({ holder: opts.holder, metrics: opts.metrics, log });
  await discovery?.ready(DISCOVERY_START_WAIT_MS);
  const first = opts.holder.current();
  if (first) await apply(first);
  // At start, a listener that cannot bind is fatal (as for nginx and HAProxy): say which and why.
  const failed = listeners.states().filter((l) => !l.bound);
  if (failed.length > 0) {
    await listeners.stopAll(0);
    discovery?.stop();
    pools.stop();
    const details = failed.map((l) => ({ path: `listener ${l.name}`, message: l.error ?? "not bound" }));
    throw new LbError("CONFIG_INVALID", `${failed.length} listener(s) could not bind`, { details });
  }
  const unsubscribe = opts.holder.subscribe((s) => void apply(s));
  // A lookup may have landed while the first snapshot was being applied.
  const latest = opts.holder.current();
  if (latest && latest !== first) void apply(latest);
  // A worker's counters are the node's history's inputs, sampled by its control part.
  const history = w ? undefined : new StatsHistory({
    sources: () =>
      historySources(opts.holder.current(), {
        listener: (n) => l7.stats.listeners.peek(n),
        route: (k) => l7.stats.routes.peek(k),
        pool: (n) => l7.stats.pools.peek(n),
        backend: (p, a) => pools.stats(p, a),
        connections: () => new Map(listeners.states().map((l) => [l.name, l.active_connections ?? 0])),
      }),
  });
  history?.start();

  const l4Connections = l4ConnectionCounter(l4);
  const runtime: RuntimeView = {
    backendHealth: (pool, address) => pools.health(pool, address),
    backendStats: (pool, address) => {
      const s = pools.stats(pool, address);
      if (!s) return undefined;
      return {
        active_connections: l4Connections(pool, address),
        active_requests: s.active,
        requests_total: s.total,
        failures_total: s.failures,
        ejected: pools.ejected(pool, address),
        ejections_total: pools.ejections(pool, address),
        traffic: trafficView(s),
      };
    },
    traffic: (scope, name) => trafficView((scope === "listener" ? l7.stats.listeners : scope === "route" ? l7.stats.routes : l7.stats.pools).peek(name)),
    listeners: () => listeners.states().map((s) => ({ ...s, ...counters.view(s.name, listenerOf(opts.holder.current(), s.name)) })),
    ...(history ? { history: (q: HistoryQuery) => history.read(q) } : {}),
    poolTable: (name) => {
      const rt = pools.current(name);
      return rt && { backends: rt.backends, table: rt.selector.table };
    },
    preflight: (snap) => preflightListeners(snap, listeners),
    ...(discovery ? { discovery: (pool: string) => discovery.state(pool) } : {}),
  };
  registerDataPlaneMetrics(opts.metrics, pools, listeners, l7.stats, counters);
  registerAccessMetrics(opts.metrics, counters, l7.access, (name) => limits.tracked(name));
  registerH2Metrics(opts.metrics, counters);

  let stopped: Promise<void> | undefined;
  return {
    pools,
    listeners,
    runtime,
    stats: l7.stats,
    counters,
    // No L4 listener, no connection table to count (a node of http listeners pays nothing per backend).
    backendConnections: (pool, address) => (l4.size === 0 ? 0 : l4Connections(pool, address)),
    settled: () => last,
    sockets: async () => listeners.sockets(),
    ready: () => listeners.ready(),
    stop: (graceMs = 0, closed?: () => void) =>
      (stopped ??= (async () => {
        unsubscribe();
        discovery?.stop();
        history?.stop();
        await listeners.stopAll(graceMs, closed);
        l7.flushLogs();
        await l7.tracing.stop();
        upstreams.close();
        pools.stop();
      })()),
  };
}

/** A bind failure as an operator can act on it: which listener, which address, what to do. */
function bindError(l: SnapshotListener, err: unknown): LbError {
  const e = err as { code?: string; message?: string };
  const text = `${e.code ?? ""} ${e.message ?? String(err)}`;
  const hint = /EADDRINUSE|in use/i.test(text)
    ? "the address is in use: stop what holds it or change the listener's address"
    : /EACCES|permission/i.test(text)
      ? "no permission: ports below 1024 need root or CAP_NET_BIND_SERVICE"
      : /EADDRNOTAVAIL|Failed to listen/i.test(text)
        ? "the address is taken or not on this machine: check the listener's address, or pick another port"
        : "check the listener's address";
  return new LbError("INVALID_ARGUMENT", `cannot listen on ${l.address} (${l.protocol}): ${e.message ?? String(err)}; ${hint}`, { cause: err });
}
