/**
 * What the history samples each second: every listener, route, pool and backend of the snapshot
 * this node serves, with the counters the data plane keeps for it (in snapshot order, so the
 * series come out in config order).
 */
import type { Snapshot } from "../../config/index.ts";
import type { ListenerSet } from "../listeners/listener-set.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import type { HistorySource } from "./history.ts";
import type { L7Stats } from "./traffic-stats.ts";

/** The sources of `snap` (none before the first snapshot). */
export function* historySources(snap: Snapshot | undefined, l7: L7Stats, pools: PoolRegistry, listeners: ListenerSet): Generator<HistorySource> {
  if (!snap) return;
  const connections = new Map(listeners.states().map((l) => [l.name, l.active_connections ?? 0]));
  for (const l of snap.listeners) {
    // L4 listeners count no requests: their traffic is on their pool's backends.
    const http = l.protocol === "http" || l.protocol === "https";
    yield { scope: "listener", name: l.name, stats: http ? l7.listeners.peek(l.name) : undefined, active: connections.get(l.name) ?? 0 };
    for (const r of l.routes) {
      const stats = l7.routes.peek(`${l.name}/${r.name}`);
      yield { scope: "route", name: r.name, parent: l.name, stats, active: stats?.active ?? 0 };
    }
  }
  for (const p of Object.values(snap.pools)) {
    const backends = p.backends.map((b) => [b.address, pools.stats(p.name, b.address)] as const);
    // In-flight L7 requests and open L4 connections alike: the load its backends carry.
    const active = backends.reduce((n, [, s]) => n + (s?.active ?? 0), 0);
    yield { scope: "pool", name: p.name, stats: l7.pools.peek(p.name), active };
    for (const [address, s] of backends) {
      yield { scope: "backend", name: address, parent: p.name, stats: s, active: s?.active ?? 0, started: s?.total ?? 0 };
    }
  }
}
