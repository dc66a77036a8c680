/**
 * Control part: the node's counters, merged from its workers' reports (WorkerStats) into the same
 * objects a data plane keeps (TrafficStats per listener, route and pool; per backend), which
 * /v1/status, the stats history and the metrics read. Counters add up; `active` gauges add up
 * (each worker counts its own work). A worker that dies leaves its last counts to the node
 * ("retired"), so totals never go down when a worker is replaced; its gauges go with it.
 */
import { countersOf, mergeFamilies, type FamilyDump } from "../../obs/index.ts";
import type { BackendStats as BackendView } from "../../status.ts";
import { TrafficStats, trafficView } from "../stats/traffic-stats.ts";
import type { UdpStatus } from "../listeners/udp-status.ts";
import type { ListenerCountersView } from "../stats/listener-counters.ts";
import type { BackendDump, TrafficDump, WorkerListener, WorkerStats } from "./protocol.ts";
import type { WorkerHandle } from "./worker-handle.ts";

type Scope = "listener" | "route" | "pool";

/** A backend's merged counters: its traffic, and the BackendStats fields /v1/status shows. */
export class MergedBackend extends TrafficStats {
  total = 0;
  failures = 0;
  ejections = 0;
  ejected = false;
  conns = 0;
}

/** Adds `d` into `s` (its `active` too when `active`). */
function addTraffic(s: TrafficStats, d: TrafficDump, active: boolean): void {
  for (let i = 0; i < s.byClass.length; i++) s.byClass[i]! += d.c[i] ?? 0;
  if (active) s.active += d.a;
  s.bytesIn += d.bi;
  s.bytesOut += d.bo;
  s.retries += d.r;
  for (const [code, n] of d.e) s.errors.set(code, (s.errors.get(code) ?? 0) + n);
  const counts = s.durations.counts;
  for (let i = 0; i + 1 < d.l.length; i += 2) counts[d.l[i]!] = (counts[d.l[i]!]! + d.l[i + 1]!) >>> 0;
}

function resetTraffic(s: TrafficStats): void {
  s.byClass.fill(0);
  s.active = s.bytesIn = s.bytesOut = s.retries = 0;
  s.errors.clear();
  s.durations.counts.fill(0);
}

function addBackend(b: MergedBackend, d: BackendDump, live: boolean): void {
  addTraffic(b, d, live);
  b.total += d.total;
  b.failures += d.failures;
  b.ejections += d.ejections;
  if (live) {
    b.ejected ||= d.ejected;
    b.conns += d.conns;
  }
}

export class NodeStats {
  readonly #books: Record<Scope, Map<string, TrafficStats>> = { listener: new Map(), route: new Map(), pool: new Map() };
  readonly #backends = new Map<string, MergedBackend>();
  /** What dead workers counted, by scope and name (counters only). */
  readonly #retired: Record<Scope, Map<string, TrafficStats>> = { listener: new Map(), route: new Map(), pool: new Map() };
  readonly #retiredBackends = new Map<string, MergedBackend>();
  #retiredFamilies: FamilyDump[] = [];
  /** Requests of dead workers, by worker index (fulcrum_worker_requests_total stays monotonic). */
  readonly #retiredRequests: number[];

  constructor(private readonly workers: () => readonly WorkerHandle[], count: number) {
    this.#retiredRequests = new Array(count).fill(0);
  }

  /** A worker died: its counts stay in the node's totals. */
  retire(h: WorkerHandle): void {
    const s = h.stats;
    if (s) {
      for (const scope of ["listener", "route", "pool"] as const) {
        for (const [name, d] of h.traffic[scope]) addTraffic(getOr(this.#retired[scope], name, () => new TrafficStats()), d, false);
      }
      for (const [k, b] of h.backends) addBackend(getOr(this.#retiredBackends, k, () => new MergedBackend()), b, false);
      this.#retiredRequests[h.id]! += s.requests;
    }
    if (h.metrics) this.#retiredFamilies = mergeFamilies([this.#retiredFamilies, countersOf(h.metrics)]);
  }

  /** Rebuilds the merged counters from the workers' latest reports (after a collect). */
  refresh(): void {
    const live = this.workers().filter((h) => h.stats !== undefined);
    for (const scope of ["listener", "route", "pool"] as const) {
      const book = this.#books[scope];
      for (const s of book.values()) resetTraffic(s);
      for (const [name, r] of this.#retired[scope]) addTraffic(getOr(book, name, () => new TrafficStats()), dumpOf(r), false);
      for (const h of live) for (const [name, d] of h.traffic[scope]) addTraffic(getOr(book, name, () => new TrafficStats()), d, true);
    }
    for (const b of this.#backends.values()) {
      resetTraffic(b);
      b.total = b.failures = b.ejections = b.conns = 0;
      b.ejected = false;
    }
    for (const [k, r] of this.#retiredBackends) addBackend(getOr(this.#backends, k, () => new MergedBackend()), { ...dumpOf(r), pool: "", address: "", total: r.total, failures: r.failures, ejected: false, ejections: r.ejections, conns: 0 }, false);
    for (const h of live) for (const [k, b] of h.backends) addBackend(getOr(this.#backends, k, () => new MergedBackend()), b, true);
  }

  /** The node's counters of a listener, route ("listener/route") or pool; undefined before any traffic. */
  traffic(scope: Scope, name: string): TrafficStats | undefined {
    return this.#books[scope].get(name);
  }

  backend(pool: string, address: string): MergedBackend | undefined {
    return this.#backends.get(key(pool, address));
  }

  /** A backend as /v1/status shows it. */
  backendView(pool: string, address: string): BackendView | undefined {
    const b = this.backend(pool, address);
    if (!b) return undefined;
    return {
      active_connections: b.conns,
      active_requests: b.active,
      requests_total: b.total,
      failures_total: b.failures,
      ejected: b.ejected,
      ejections_total: b.ejections,
      traffic: trafficView(b),
    };
  }

  /**
   * Listeners as the node serves them: bound when every live worker bound it (an error any
   * worker met is shown), connections and counters added up.
   */
  listeners(): WorkerListener[] {
    const out = new Map<string, WorkerListener>();
    for (const h of this.workers()) {
      for (const l of h.stats?.listeners ?? []) {
        const had = out.get(l.name);
        if (!had) {
          out.set(l.name, structuredClone(l));
          continue;
        }
        had.bound &&= l.bound;
        had.error ??= l.error;
        had.active_connections = (had.active_connections ?? 0) + (l.active_connections ?? 0);
        for (const k of LISTENER_COUNTERS) if (l[k] !== undefined) had[k] = (had[k] ?? 0) + l[k];
        if (had.udp && l.udp) for (const k of Object.keys(had.udp) as (keyof UdpStatus)[]) had.udp[k] += l.udp[k];
      }
    }
    return [...out.values()];
  }

  /** Open client connections per listener, node-wide. */
  connections(): Map<string, number> {
    return new Map(this.listeners().map((l) => [l.name, l.active_connections ?? 0]));
  }

  /** Every worker's metrics families merged, with what dead workers counted. */
  families(): FamilyDump[] {
    return mergeFamilies([this.#retiredFamilies, ...this.workers().map((h) => h.metrics ?? [])]);
  }

  /** Requests worker `id` (and its predecessors) served. */
  workerRequests(id: number, h: WorkerHandle | undefined): number {
    return this.#retiredRequests[id]! + (h?.stats?.requests ?? 0);
  }
}

/** The counters of a listener's /v1/status entry (ListenerCountersView): each worker counts its own. */
const LISTENER_COUNTERS = ["handshake_timeouts", "upstream_resets", "access_denied", "client_limit_refused", "client_limit_untracked", "client_cert_refused"] as const satisfies readonly (keyof ListenerCountersView)[];

function key(pool: string, address: string): string {
  return `${pool}\u0000${address}`;
}

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

/** A TrafficStats as a dump, to add it like a worker's. */
function dumpOf(s: TrafficStats): TrafficDump {
  const l: number[] = [];
  s.durations.counts.forEach((n, i) => n !== 0 && l.push(i, n));
  return { c: [...s.byClass], a: 0, bi: s.bytesIn, bo: s.bytesOut, r: s.retries, e: [...s.errors], l };
}

export type { WorkerStats };
