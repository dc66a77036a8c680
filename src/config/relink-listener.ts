/**
 * A node's workers rebuild a listener whose own document did not change, but some pool it names
 * did (its content; the name stays), by swapping the pool objects in the compiled listener: only
 * the routes and SNI rules that hold a changed pool become new objects, the rest (and everything
 * else compiled: regexes, CIDR lists, access lists) are the previous ones. What compileListener
 * would build from the same document and pools, at the cost of the references, not the routes.
 */
import { sniTable } from "./compile-listener.ts";
import type { SnapshotListener, SnapshotPool, SnapshotRoute, SnapshotSniRule } from "./snapshot.ts";

/**
 * `l` with each pool in `changed` replaced by `pools`' object of that name; undefined when one of
 * them is gone from `pools` (compile the listener instead: it reports the missing reference).
 */
export function relinkListener(l: SnapshotListener, pools: Readonly<Record<string, SnapshotPool>>, changed: ReadonlySet<string>): SnapshotListener | undefined {
  let gone = false;
  const swap = (p: SnapshotPool): SnapshotPool => {
    if (!changed.has(p.name)) return p;
    const next = pools[p.name];
    if (next === undefined) gone = true;
    return next ?? p;
  };
  const pool = l.pool && swap(l.pool);
  const routes = l.routes.map((r): SnapshotRoute => {
    const p = r.pool && swap(r.pool);
    return p === r.pool ? r : Object.freeze({ ...r, pool: p });
  });
  const sniChanged = l.sni.some((s) => changed.has(s.pool.name));
  const sni = sniChanged ? l.sni.map((s): SnapshotSniRule => (changed.has(s.pool.name) ? Object.freeze({ ...s, pool: swap(s.pool) }) : s)) : l.sni;
  if (gone) return undefined;
  return Object.freeze({
    ...l,
    ...(pool ? { pool } : {}),
    routes: Object.freeze(routes),
    sni: Object.freeze(sni),
    ...(l.sniTable && sniChanged ? { sniTable: sniTable(sni) } : {}),
  });
}
