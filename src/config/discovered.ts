/**
 * Backends found in DNS enter the snapshot here: a pool rebuilt with them beside its configured
 * ones (selector included), and the snapshot relinked so every listener, route and SNI rule points
 * at the rebuilt pool. Runtime state, like health: the revision stays the same and nothing is
 * written to the store.
 */
import { LbError } from "../errors.ts";
import { sniTable } from "./compile-listener.ts";
import { poolSelector, snapshotBackend } from "./compile-pool.ts";
import { deepFreeze } from "./deep-freeze.ts";
import type { Snapshot, SnapshotBackend, SnapshotListener, SnapshotPool } from "./snapshot.ts";

/** A backend found in DNS: an IP and port, its weight, and whether it is still in the answer (active) or left it (draining). */
export interface FoundBackend {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly state: "active" | "draining";
}

/** "host:port", IPv6 in brackets: the address a found backend is known by. */
export function foundAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * `pool` with `found` after its configured backends (an address configured as well keeps its
 * configured settings), its selector rebuilt over the new usable set. Throws CONFIG_INVALID when
 * the algorithm refuses the set (the caller keeps the pool it had).
 */
export function poolWithFound(pool: SnapshotPool, found: readonly FoundBackend[]): SnapshotPool {
  const from = pool.discovery?.name ?? "dns";
  const configured = new Set(pool.backends.filter((b) => b.discoveredFrom === undefined).map((b) => b.address.toLowerCase()));
  const base = pool.backends.filter((b) => b.discoveredFrom === undefined);
  const extra: SnapshotBackend[] = [];
  for (const f of found) {
    const address = foundAddress(f.host, f.port);
    if (configured.has(address.toLowerCase())) continue;
    configured.add(address.toLowerCase());
    extra.push(snapshotBackend(address, f.host, f.port, f.weight, f.state, pool.tls, pool.protocol === "http1" ? undefined : pool.protocol, from));
  }
  const backends = [...base, ...extra];
  const usable = backends.filter((b) => b.state === "active");
  let selector;
  try {
    selector = poolSelector(pool, usable);
  } catch (e) {
    throw new LbError("CONFIG_INVALID", `pool ${pool.name}: cannot build the ${pool.algorithm} selector with the backends found in DNS: ${(e as Error).message}`, { cause: e });
  }
  return deepFreeze({ ...pool, backends, usable, selector });
}

/**
 * `snap` with the pools in `replaced` swapped in (by name), and every reference to an old pool
 * object (listener default, route, SNI rule and table) pointing at its replacement. Objects that
 * refer to no replaced pool are kept as they are. The revision is unchanged.
 */
export function replacePools(snap: Snapshot, replaced: ReadonlyMap<string, SnapshotPool>): Snapshot {
  if (replaced.size === 0) return snap;
  const swap = (p: SnapshotPool | undefined): SnapshotPool | undefined => (p === undefined ? undefined : replaced.get(p.name) ?? p);
  const pools: Record<string, SnapshotPool> = Object.create(null);
  for (const [name, p] of Object.entries(snap.pools)) pools[name] = replaced.get(name) ?? p;
  const listeners = snap.listeners.map((l) => relink(l, swap));
  return deepFreeze({ ...snap, listeners, pools });
}

function relink(l: SnapshotListener, swap: (p: SnapshotPool | undefined) => SnapshotPool | undefined): SnapshotListener {
  const touches = (p: SnapshotPool | undefined) => p !== undefined && swap(p) !== p;
  if (!touches(l.pool) && !l.routes.some((r) => touches(r.pool)) && !l.sni.some((s) => touches(s.pool))) return l;
  const pool = swap(l.pool);
  const routes = l.routes.map((r) => (touches(r.pool) ? { ...r, pool: swap(r.pool) } : r));
  const sni = l.sni.map((s) => (touches(s.pool) ? { ...s, pool: swap(s.pool)! } : s));
  const out: SnapshotListener = { ...l, routes, sni, ...(pool ? { pool } : {}) };
  return l.sniTable ? { ...out, sniTable: sniTable(sni) } : out;
}
