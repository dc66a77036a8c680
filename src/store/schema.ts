/**
 * The SQLite tables that hold the declared config (drizzle schema; `drizzle-kit generate` reads it).
 * Columns carry what a row is identified and joined by; everything else a resource may hold lives in
 * its `options` JSON column, so a new schema field round-trips without a migration. `position` keeps
 * document order (route order is semantic: first match wins).
 */
import { sql } from "drizzle-orm";
import { check, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A JSON object column: the rest of a resource beyond its columns. */
type Options = Record<string, unknown>;

/**
 * The revision at which a resource row, as it reads back (a pool with its backends, a listener
 * with its routes), last changed: its ETag in the admin API. 0 only for rows older than the column.
 */
const changedAt = () => integer("revision").notNull().default(0);

/** Pools first: listeners and routes reference them. */
export const pools = sqliteTable("pools", {
  name: text("name").primaryKey(),
  position: integer("position").notNull(),
  algorithm: text("algorithm").notNull(),
  options: text("options", { mode: "json" }).$type<Options>().notNull(),
  revision: changedAt(),
});

/** Backends belong to one pool and go with it. Address is unique within the pool. */
export const backends = sqliteTable(
  "backends",
  {
    pool: text("pool")
      .notNull()
      .references(() => pools.name, { onDelete: "cascade" }),
    address: text("address").notNull(),
    position: integer("position").notNull(),
    weight: integer("weight").notNull(),
    state: text("state").notNull(),
    options: text("options", { mode: "json" }).$type<Options>().notNull(),
    revision: changedAt(),
  },
  (t) => [primaryKey({ columns: [t.pool, t.address] })],
);

/** Listeners; `pool` is the default (http) or the only (tcp/udp) pool. */
export const listeners = sqliteTable("listeners", {
  name: text("name").primaryKey(),
  position: integer("position").notNull(),
  protocol: text("protocol").notNull(),
  address: text("address").notNull(),
  pool: text("pool").references(() => pools.name),
  options: text("options", { mode: "json" }).$type<Options>().notNull(),
  revision: changedAt(),
});

/** Routes belong to one listener (names unique within it) and go with it. */
export const routes = sqliteTable(
  "routes",
  {
    listener: text("listener")
      .notNull()
      .references(() => listeners.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    position: integer("position").notNull(),
    pool: text("pool").references(() => pools.name),
    options: text("options", { mode: "json" }).$type<Options>().notNull(),
    revision: changedAt(),
  },
  (t) => [primaryKey({ columns: [t.listener, t.name] })],
);

/** key_pem is nullable only so a document without one round-trips; applyConfig never writes that. */
export const certificates = sqliteTable("certificates", {
  name: text("name").primaryKey(),
  position: integer("position").notNull(),
  certPem: text("cert_pem").notNull(),
  keyPem: text("key_pem"),
  revision: changedAt(),
});

/**
 * One row per acknowledged change: the history `GET /v1/revisions` shows. `source` says who made
 * it (api, file, sighup, cluster) and `source_file` which config file, so `start --config` can
 * tell whether anything else changed the config since that file was last applied.
 */
export const revisions = sqliteTable("revisions", {
  revision: integer("revision").primaryKey(),
  at: text("at").notNull(),
  summary: text("summary").notNull(),
  source: text("source").notNull().default("api"),
  sourceFile: text("source_file"),
});

/** Exactly one row (id 1): the current revision, 0 for an empty new store. */
export const meta = sqliteTable(
  "meta",
  {
    id: integer("id").primaryKey(),
    revision: integer("revision").notNull(),
  },
  (t) => [check("meta_single_row", sql`${t.id} = 1`)],
);

export type PoolRow = typeof pools.$inferSelect;
export type BackendRow = typeof backends.$inferSelect;
export type ListenerRow = typeof listeners.$inferSelect;
export type RouteRow = typeof routes.$inferSelect;
export type CertificateRow = typeof certificates.$inferSelect;
export type RevisionRow = typeof revisions.$inferSelect;
