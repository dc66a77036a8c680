/**
 * Runtime reads: /v1/status (the applied snapshot with live state from the runtime view),
 * /v1/revisions (the store's history: revision, time, source, summary) and /v1/pools/{name}/table (a hashing pool's lookup table,
 * counted per backend). All read the published snapshot: they show what this node serves now.
 */
import type { Hono } from "hono";
import type { Snapshot, SnapshotPool } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import type { AdminDeps } from "../deps.ts";
import { queryOf } from "../query.ts";
import { tableDigest } from "./table-digest.ts";

const MAX_HISTORY = 1000;

/** `{ traffic }` from the runtime view, or nothing when it does not track that scope. */
function trafficOf(deps: AdminDeps, scope: "listener" | "route" | "pool", name: string) {
  const t = deps.runtime.traffic?.call(deps.runtime, scope, name);
  return t ? { traffic: t } : {};
}

function poolStatus(deps: AdminDeps, p: SnapshotPool) {
  const { backendHealth, backendStats } = deps.runtime;
  return {
    name: p.name,
    algorithm: p.algorithm,
    ...trafficOf(deps, "pool", p.name),
    backends: p.backends.map((b) => ({
      address: b.address,
      weight: b.weight,
      state: b.state,
      health: backendHealth?.call(deps.runtime, p.name, b.address) ?? "unknown",
      ...backendStats?.call(deps.runtime, p.name, b.address),
    })),
  };
}

function listenerStatus(deps: AdminDeps, snap: Snapshot | undefined) {
  const live = new Map((deps.runtime.listeners?.() ?? []).map((l) => [l.name, l]));
  return (snap?.listeners ?? []).map((l) => ({
    name: l.name,
    protocol: l.protocol,
    address: l.address,
    ...live.get(l.name),
    // Counted by the HTTP engine: L4 listeners have no request counters (their backends carry bytes).
    ...(l.protocol === "http" || l.protocol === "https" ? trafficOf(deps, "listener", l.name) : {}),
  }));
}

/** Every route of every http(s) listener, in config order, with its traffic. */
function routeStatus(deps: AdminDeps, snap: Snapshot | undefined) {
  return (snap?.listeners ?? []).flatMap((l) =>
    l.routes.map((r) => ({
      listener: l.name,
      name: r.name,
      ...(r.pool ? { pool: r.pool.name } : {}),
      ...trafficOf(deps, "route", `${l.name}/${r.name}`),
    })),
  );
}

/** Slots per backend of a hashing pool's table; empty slots counted apart. */
export function tableCounts(p: SnapshotPool, table: Int32Array) {
  const counts = new Array<number>(p.usable.length).fill(0);
  let empty = 0;
  for (let i = 0; i < table.length; i++) {
    const k = table[i];
    if (k >= 0 && k < counts.length) counts[k]++;
    else empty++;
  }
  return { counts, empty };
}

/** Mounts /v1/status, /v1/revisions and /v1/pools/:name/table. */
export function mountRuntime(app: Hono, deps: AdminDeps): void {
  app.get("/v1/status", (c) => {
    queryOf(c, []);
    const snap = deps.holder.current();
    const node = deps.runtime.node?.();
    return c.json({
      ...(node ? { node } : {}),
      revision: snap?.revision ?? null,
      stored_revision: deps.store.read().revision,
      ready: deps.readiness() === "ready",
      listeners: listenerStatus(deps, snap),
      routes: routeStatus(deps, snap),
      pools: Object.values(snap?.pools ?? {}).map((p) => poolStatus(deps, p)),
    });
  });

  app.get("/v1/revisions", (c) => {
    const raw = queryOf(c, ["limit"]).limit;
    const limit = raw === undefined ? 100 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY) {
      throw new LbError("INVALID_REQUEST", `limit must be an integer from 1 to ${MAX_HISTORY}`);
    }
    return c.json({ revisions: deps.store.history(limit) });
  });

  app.get("/v1/pools/:name/table", (c) => {
    const slots = queryOf(c, ["slots"]).slots;
    const name = c.req.param("name");
    const snap = deps.holder.current();
    const pool = snap?.pools[name];
    if (!snap || !pool) throw new LbError("POOL_NOT_FOUND", `pool "${name}" not found`);
    const table = pool.selector.table;
    if (!table) {
      throw new LbError("INVALID_REQUEST", `pool "${name}" uses ${pool.algorithm}, which has no lookup table (maglev and source_ip_hash do)`);
    }
    const { counts, empty } = tableCounts(pool, table);
    return c.json({
      pool: name,
      algorithm: pool.algorithm,
      revision: snap.revision,
      table_size: table.length,
      empty_slots: empty,
      digest: tableDigest(pool, table),
      backends: pool.usable.map((b, i) => ({ address: b.address, weight: b.weight, slots: counts[i] })),
      ...(slots === "true" ? { table: Array.from(table) } : {}),
    });
  });
}
