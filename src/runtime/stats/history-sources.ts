/**
 * What the history samples each second: every listener, route, pool and backend of the snapshot
 * this node serves, with the counters the data plane keeps for it (in snapshot order, so the
 * series come out in config order). The counters come through HistoryInputs: a data plane's own,
 * or a node's workers' merged by its control part.
 */
import type { Snapshot } from "../../config/index.ts";
import type { HistorySource } from "./history.ts";
import type { TrafficStats } from "./traffic-stats.ts";

/** Where the sampler finds each thing's counters (undefined: no traffic yet). */
export interface HistoryInputs {
  listener(name: string): TrafficStats | undefined;
  /** `key` is "listener/route". */
  route(key: string): TrafficStats | undefined;
  pool(name: string): TrafficStats | undefined;
  /** A backend's counters with its live load (`active`) and work started (`total`). */
  backend(pool: string, address: string): (TrafficStats & { total: number }) | undefined;
  /** Open client connections per listener. */
  connections(): ReadonlyMap<string, number>;
}

/**
 * The sources of `snap` (none before the first snapshot), each with its snapshot object as `ref`.
 * A plain list, not a generator: at a thousand pools it is 4,000 sources a second, and resuming a
 * generator per source cost more than the sampling itself.
 */
export function historySources(snap: Snapshot | undefined, inputs: HistoryInputs): HistorySource[] {
  const out: HistorySource[] = [];
  if (!snap) return out;
  const connections = inputs.connections();
  for (const l of snap.listeners) {
    // L4 listeners count no requests: their traffic is on their pool's backends.
    const http = l.protocol === "http" || l.protocol === "https";
    out.push({ scope: "listener", name: l.name, stats: http ? inputs.listener(l.name) : undefined, active: connections.get(l.name) ?? 0, ref: l });
    for (const r of l.routes) {
      const stats = inputs.route(`${l.name}/${r.name}`);
      out.push({ scope: "route", name: r.name, parent: l.name, stats, active: stats?.active ?? 0, ref: r });
    }
  }
  for (const p of Object.values(snap.pools)) {
    const pool: HistorySource = { scope: "pool", name: p.name, stats: inputs.pool(p.name), active: 0, ref: p };
    out.push(pool);
    // In-flight L7 requests and open L4 connections alike: the load its backends carry.
    for (const b of p.backends) {
      const s = inputs.backend(p.name, b.address);
      const active = s?.active ?? 0;
      pool.active += active;
      out.push({ scope: "backend", name: b.address, parent: p.name, stats: s, active, started: s?.total ?? 0, ref: b });
    }
  }
  return out;
}
