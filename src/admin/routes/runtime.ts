/**
 * Runtime reads: /v1/status (the applied snapshot with live state from the runtime view),
 * /v1/revisions (the store's history: revision, time, source, summary) and /v1/pools/{name}/table (a hashing pool's lookup table,
 * counted per backend, as the data plane uses it now: health applied). All show what this node serves now.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { Snapshot, SnapshotBackend, SnapshotPool } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import type { AdminDeps } from "../deps.ts";
import { mountOperation, type Operation } from "../operation.ts";
import { flag } from "../query.ts";
import { RevisionsSchema, StatusSchema, TableSchema } from "./runtime-schemas.ts";
import { tableDigest } from "./table-digest.ts";

const MAX_HISTORY = 1000;
const json = (schema: z.ZodType) => ({ types: ["application/json"], schema });

const STATUS: Operation = {
  method: "get",
  path: "/v1/status",
  operationId: "getStatus",
  tag: "runtime",
  summary: "What this node serves now",
  description: "The applied revision, every listener, route and pool with live state: backend health, connections, traffic, ejections.",
  replies: { 200: { description: "The node's state.", content: json(StatusSchema) } },
};

const RevisionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY).meta({ description: "How many of the newest revisions.", examples: [10] }).default(100),
});

const REVISIONS: Operation<typeof RevisionsQuery> = {
  method: "get",
  path: "/v1/revisions",
  operationId: "listRevisions",
  tag: "runtime",
  summary: "The revision history",
  query: RevisionsQuery,
  replies: { 200: { description: "Who or what changed the config, when, and what changed.", content: json(RevisionsSchema) } },
};

const TableQuery = z.strictObject({ slots: flag("Also return the table itself, slot by slot.") });

const TABLE: Operation<typeof TableQuery> = {
  method: "get",
  path: "/v1/pools/:name/table",
  operationId: "getPoolTable",
  tag: "runtime",
  summary: "A hashing pool's lookup table, counted per backend",
  description: "Maglev and source_ip_hash pools have one; any other algorithm is a 400.",
  params: { name: z.string().meta({ description: "The pool's name.", examples: ["api"] }) },
  query: TableQuery,
  replies: { 200: { description: "Slots per backend and the table's digest.", content: json(TableSchema) } },
  errors: ["POOL_NOT_FOUND"],
};

/** `{ traffic }` from the runtime view, or nothing when it does not track that scope. */
function trafficOf(deps: AdminDeps, scope: "listener" | "route" | "pool", name: string) {
  const t = deps.runtime.traffic?.call(deps.runtime, scope, name);
  return t ? { traffic: t } : {};
}

/**
 * A backend's health: this node's own check, or in a cluster the verdict the data plane builds
 * from (the votes' when any node checks it), with this node's check and the votes beside it.
 */
function healthOf(deps: AdminDeps, pool: string, address: string) {
  const local = deps.runtime.backendHealth?.call(deps.runtime, pool, address) ?? "unknown";
  const votes = deps.cluster?.backend(pool, address);
  if (!deps.cluster) return { health: local };
  const health = votes ? (votes.healthy ? "healthy" : "unhealthy") : local;
  return { health, health_here: local, ...(votes ? { votes: { down: votes.down, up: votes.up } } : {}) };
}

function poolStatus(deps: AdminDeps, p: SnapshotPool) {
  const { backendStats } = deps.runtime;
  return {
    name: p.name,
    algorithm: p.algorithm,
    ...trafficOf(deps, "pool", p.name),
    ...(p.discovery ? { discovery: deps.runtime.discovery?.call(deps.runtime, p.name) ?? { dns: p.discovery.name, type: p.discovery.type } } : {}),
    backends: p.backends.map((b) => ({
      address: b.address,
      weight: b.weight,
      state: b.state,
      ...sourceOf(b),
      ...healthOf(deps, p.name, b.address),
      ...backendStats?.call(deps.runtime, p.name, b.address),
    })),
  };
}

/** Where a backend came from: the config, or DNS (and the name it was found under). */
function sourceOf(b: Pick<SnapshotBackend, "discoveredFrom">): { source: "config" } | { source: "dns"; dns: string } {
  return b.discoveredFrom === undefined ? { source: "config" } : { source: "dns", dns: b.discoveredFrom };
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

/** Slots per backend of a hashing pool's table (over `backends` backends); empty slots counted apart. */
export function tableCounts(backends: number, table: Int32Array) {
  const counts = new Array<number>(backends).fill(0);
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
  mountOperation(app, STATUS, (c) => {
    const snap = deps.holder.current();
    const node = deps.runtime.node?.();
    return c.json<z.output<typeof StatusSchema>>({
      ...(node ? { node } : {}),
      revision: snap?.revision ?? null,
      stored_revision: deps.store.read().revision,
      ready: deps.readiness() === "ready",
      ...(deps.cluster ? { cluster: deps.cluster.summary() } : {}),
      listeners: listenerStatus(deps, snap),
      routes: routeStatus(deps, snap),
      pools: Object.values(snap?.pools ?? {}).map((p) => poolStatus(deps, p)),
    });
  });

  mountOperation(app, REVISIONS, (c, q) => c.json({ revisions: deps.store.history(q.limit) }));

  mountOperation(app, TABLE, (c, q) => {
    const name = c.req.param("name")!;
    const snap = deps.holder.current();
    const pool = snap?.pools[name];
    if (!snap || !pool) throw new LbError("POOL_NOT_FOUND", `pool "${name}" not found`);
    if (!pool.selector.table) {
      throw new LbError("INVALID_REQUEST", `pool "${name}" uses ${pool.algorithm}, which has no lookup table (maglev and source_ip_hash do)`);
    }
    // The data plane's table (narrowed by health) when there is one; else the snapshot's, all active backends.
    const live = deps.runtime.poolTable?.call(deps.runtime, name);
    const backends = live?.table ? live.backends : pool.usable;
    const table = live?.table ?? pool.selector.table;
    const { counts, empty } = tableCounts(backends.length, table);
    return c.json<z.output<typeof TableSchema>>({
      pool: name,
      algorithm: pool.algorithm,
      revision: snap.revision,
      table_size: table.length,
      empty_slots: empty,
      digest: tableDigest(backends, table),
      backends: backends.map((b, i) => ({ address: b.address, weight: b.weight, ...sourceOf(b), slots: counts[i] })),
      ...(q.slots ? { table: Array.from(table) } : {}),
    });
  });
}
