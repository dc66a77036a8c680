/**
 * Document <-> rows. Each resource keeps its identifying fields in columns and the rest in an
 * `options` JSON object, so every field the schema has (or will have) round-trips unchanged; its
 * `revision` column is its per-resource revision (ResourceRevisions).
 */
import type { Backend, Certificate, ConfigDoc, Listener, Pool, Route } from "../config/index.ts";
import { resourceKey } from "./resources.ts";
import type { BackendRow, CertificateRow, ListenerRow, PoolRow, RouteRow } from "./schema.ts";

/** All rows of one document, in insert order (pools before what references them). */
export interface DocRows {
  pools: PoolRow[];
  backends: BackendRow[];
  listeners: ListenerRow[];
  routes: RouteRow[];
  certificates: CertificateRow[];
}

function rest<T extends object>(o: T, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!skip.includes(k) && v !== undefined) out[k] = v;
  return out;
}

/**
 * Splits a validated document into rows; `position` records document order, `revision` each
 * resource's entry in `revisions` (0 where it has none).
 */
export function docToRows(doc: ConfigDoc, revisions: ReadonlyMap<string, number>): DocRows {
  const rows: DocRows = { pools: [], backends: [], listeners: [], routes: [], certificates: [] };
  const rev = (...key: Parameters<typeof resourceKey>) => revisions.get(resourceKey(...key)) ?? 0;
  doc.pools.forEach((p, i) => {
    const options = rest(p, ["name", "algorithm", "backends"]);
    rows.pools.push({ name: p.name, position: i, algorithm: p.algorithm, options, revision: rev("pool", p.name) });
    p.backends.forEach((b, k) =>
      rows.backends.push({
        pool: p.name,
        address: b.address,
        position: k,
        weight: b.weight,
        state: b.state,
        options: rest(b, ["address", "weight", "state"]),
        revision: rev("backend", p.name, b.address),
      }),
    );
  });
  doc.listeners.forEach((l, i) => {
    const options = rest(l, ["name", "protocol", "address", "pool", "routes"]);
    const pool = l.pool ?? null;
    rows.listeners.push({ name: l.name, position: i, protocol: l.protocol, address: l.address, pool, options, revision: rev("listener", l.name) });
    l.routes.forEach((r, k) =>
      rows.routes.push({
        listener: l.name,
        name: r.name,
        position: k,
        pool: r.pool ?? null,
        options: rest(r, ["name", "pool"]),
        revision: rev("route", l.name, r.name),
      }),
    );
  });
  doc.certificates.forEach((c, i) =>
    rows.certificates.push({ name: c.name, position: i, certPem: c.cert_pem, keyPem: c.key_pem ?? null, revision: rev("certificate", c.name) }),
  );
  return rows;
}

/** The per-resource revisions the rows carry, by resourceKey. */
export function rowRevisions(rows: DocRows): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of rows.pools) out.set(resourceKey("pool", p.name), p.revision);
  for (const b of rows.backends) out.set(resourceKey("backend", b.pool, b.address), b.revision);
  for (const l of rows.listeners) out.set(resourceKey("listener", l.name), l.revision);
  for (const r of rows.routes) out.set(resourceKey("route", r.listener, r.name), r.revision);
  for (const c of rows.certificates) out.set(resourceKey("certificate", c.name), c.revision);
  return out;
}

const byPosition = (a: { position: number }, b: { position: number }) => a.position - b.position;

/** Rebuilds the document from rows (any order); the inverse of docToRows. */
export function rowsToDoc(rows: DocRows): ConfigDoc {
  const backendsOf = group(rows.backends, (b) => b.pool);
  const routesOf = group(rows.routes, (r) => r.listener);
  const pools = [...rows.pools].sort(byPosition).map(
    (p): Pool =>
      ({
        // Identifying fields first, so an exported document reads the way people write one.
        name: p.name,
        algorithm: p.algorithm,
        ...p.options,
        backends: (backendsOf.get(p.name) ?? []).sort(byPosition).map(
          (b): Backend => ({ address: b.address, weight: b.weight, state: b.state, ...b.options }) as Backend,
        ),
      }) as Pool,
  );
  const listeners = [...rows.listeners].sort(byPosition).map(
    (l): Listener =>
      ({
        name: l.name,
        protocol: l.protocol,
        address: l.address,
        ...(l.pool === null ? {} : { pool: l.pool }),
        ...l.options,
        routes: (routesOf.get(l.name) ?? []).sort(byPosition).map(
          (r): Route => ({ name: r.name, ...(r.pool === null ? {} : { pool: r.pool }), ...r.options }) as Route,
        ),
      }) as Listener,
  );
  const certificates = [...rows.certificates].sort(byPosition).map(
    (c): Certificate => ({ name: c.name, cert_pem: c.certPem, ...(c.keyPem === null ? {} : { key_pem: c.keyPem }) }),
  );
  return { listeners, pools, certificates };
}

function group<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
