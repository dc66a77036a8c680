/**
/**
 * `fulcrum start [OPTIONS]` (specs.ts lists them) and startNode, the seam the composition root
 * extends: open the store, apply a config file if given (printing its diff; refused when it would
 * overwrite changes made since that file was last applied, unless --force), publish the current
 * revision's snapshot, start the data plane (when the caller supplies one), then serve the admin
 * API (and the probe listener, --metrics). With --cluster (start-cluster.ts) the store is etcd,
 * read through the node's SQLite mirror. SIGTERM/SIGINT stop everything in reverse order and
 * exit 0; SIGHUP reloads --config, SIGUSR1 reopens log files, SIGUSR2 upgrades (node-signals.ts,
 * start-command.ts). Every line a running node prints goes through one Logger (--log-format).
 */
import { resolve } from "node:path";
import { createAdminApp, createProbeApp, type Readiness, type RuntimeView } from "../admin/index.ts";
import type { NodeInfo } from "../status.ts";
import { SnapshotHolder, type Snapshot } from "../config/index.ts";
import { ConfigControl, type ChangeResult } from "../control/index.ts";
import { isLbError, LbError } from "../errors.ts";
import { Registry, registerBuildInfo, registerProcessMetrics, reopenLogFiles } from "../obs/index.ts";
import { defaultDbPath, openStore, type Store, type StoredConfig } from "../store/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { parseHostPort } from "./args.ts";
import { DEFAULT_ADMIN } from "./admin-client.ts";
import { readConfigFile } from "./config-file.ts";
import { applyConfigFile, warnExposed } from "./start-config.ts";
import { AppliedControl } from "./applied-control.ts";
import { serveAt, type Server } from "./serve-at.ts";
import type { HandedListener, SharedHealth } from "../runtime/index.ts";
import { ClusterMember, type ClusterOptions } from "./start-cluster.ts";

/** What a data plane hands back to startNode: its runtime view, readiness, and how to stop it. */
export interface DataPlane {
  runtime?: RuntimeView;
  /** True once every listener is bound; /readyz also requires an applied snapshot. */
  ready?(): boolean;
  /** Stops accepting (then calls `closed`); in-flight work gets up to `graceMs` to finish. */
  stop(graceMs?: number, closed?: () => void): Promise<void>;
  /**
   * A data plane that applies revisions after they are published (a node's workers): the
   * revisions it serves, which the admin API reports as applied. Absent: the published ones.
   */
  applied?: SnapshotHolder;
  /** Resolves once the data plane serves `revision`; config writes answer after it. */
  whenApplied?(revision: number): Promise<void>;
  /** Brings the runtime view's counters up to date (before /v1/status, /metrics, the history). */
  refresh?(metrics: boolean): Promise<void>;
  /** Access logs kept on other threads, written out and reopened (SIGUSR1); their paths. */
  reopenLogs?(): Promise<string[]>;
  /** The listening sockets, to hand to a node that upgrades this one. */
  sockets?(): Promise<HandedListener[]>;
}

/** Everything a data plane may use; it must not import src/store or src/admin itself. */
export interface DataPlaneContext {
  store: Store;
  holder: SnapshotHolder;
  metrics: Registry;
  /** In a cluster: the health verdicts to build selectors from (this node's checks are votes). */
  sharedHealth?: SharedHealth;
  /** The document a revision was published from, when it was the last one published (ConfigControl.publishedAt): no store read. */
  published?: (revision: number) => StoredConfig | undefined;
}

/** Options of startNode; every field has a default. */
export interface NodeOptions {
  /** SQLite file (created 0600 if missing); default FULCRUM_DB or ./fulcrum.db. */
  dbPath?: string;
  /** A config file (YAML or JSON) applied before anything serves. */
  configFile?: string;
  /** Apply `configFile` even when it overwrites changes made since it was last applied (--force). */
  force?: boolean;
  /** Admin address HOST:PORT; port 0 picks a free one. Default FULCRUM_ADMIN or 127.0.0.1:9901. */
  admin?: string;
  /** Admin bearer token; required to bind the admin API beyond loopback. */
  token?: string;
  /** Probe listener HOST:PORT serving /metrics, /readyz and /healthz without the token (--metrics). */
  metrics?: string;
  /** Largest admin request body in bytes. */
  bodyLimit?: number;
  /** Starts the data plane once the first snapshot is published (the lead wires L4/L7 here). */
  dataPlane?: (ctx: DataPlaneContext) => Promise<DataPlane>;
  /**
   * Checks, before `configFile` is stored, that its listeners can bind (the data plane's
   * preflight); once the data plane runs, its runtime view's preflight is used instead.
   */
  preflight?: (snapshot: Snapshot) => void | Promise<void>;
  /** Where startNode prints the config file's diff and warnings; default console.log. */
  log?: (line: string, level?: "info" | "warn" | "error") => void;
  /** Worker threads the data plane runs (GET /v1/status `node`; default 1). */
  workers?: number;
  /** The process this node took its listening sockets over from (an upgrade): its admin and metrics addresses are shared on purpose. */
  upgradedFrom?: number;
  /** Apply `configFile` at start (default true); an upgraded node serves what the database holds and keeps the file for SIGHUP. */
  applyConfig?: boolean;
  /** Join a cluster (--cluster, --node): etcd is the store, `dbPath` holds the node's mirror of it. */
  cluster?: ClusterOptions;
}

/** A running node. */
export interface FulcrumNode {
  store: Store;
  holder: SnapshotHolder;
  /** The node's one write path: every change (admin API, config file, SIGHUP) queues here. */
  control: ConfigControl;
  metrics: Registry;
  dbPath: string;
  /** Base URL of the admin API, with the real port. */
  adminUrl: string;
  /** The admin API's and the probe listener's addresses as bound (host:port), for a node that upgrades this one. */
  adminAddress: string;
  metricsAddress?: string;
  /** Stops the admin API and the probe listener now (an upgrade: the new node answers there). */
  retire(): Promise<void>;
  /** The data plane's listening sockets, for a node that upgrades this one. */
  sockets?(): Promise<HandedListener[]>;
  /** The node's cluster membership (--cluster); undefined for a standalone node. */
  cluster?: ClusterMember;
  /** Base URL of the probe listener (--metrics), with the real port. */
  metricsUrl?: string;
  /**
   * Re-reads the `--config` file and applies it like `apply` (history source "sighup"): an invalid
   * file rejects and changes nothing. Undefined when the node was started without one.
   */
  reload?: () => Promise<ChangeResult>;
  /** Writes out and reopens every access log file, on this thread and the data plane's (SIGUSR1); their paths. */
  reopenLogs(): Promise<string[]>;
  /**
   * Drains and stops: /readyz turns 503 DRAINING at once, the data plane stops accepting and gets
   * up to `graceMs` for in-flight work, then the admin API stops and the store closes. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** `http://host:port`, IPv6 in brackets. */
function urlOf(host: string, port: number | undefined): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The admin address; refused beyond loopback without a token. */
function adminAddress(opts: NodeOptions): { host: string; port: number } {
  const at = parseHostPort(opts.admin ?? process.env.FULCRUM_ADMIN ?? DEFAULT_ADMIN);
  if (!isLoopback(at.host) && !opts.token) {
    throw new LbError(
      "INVALID_ARGUMENT",
      `refusing to serve the admin API on ${at.host} without a token: anyone who can reach it could rewrite the config. ` +
        "Set FULCRUM_ADMIN_TOKEN or pass --admin-token-file PATH, or bind to 127.0.0.1.",
    );
  }
  return at;
}


/** Starts a node; throws LbError (nothing left running, nothing of a refused config stored) when any step fails. */
export async function startNode(opts: NodeOptions = {}): Promise<FulcrumNode> {
  const admin = adminAddress(opts);
  const probeAt = opts.metrics === undefined ? undefined : parseHostPort(opts.metrics);
  const log = opts.log ?? ((line: string) => console.log(line));
  const dbPath = opts.dbPath ?? defaultDbPath();
  const holder = new SnapshotHolder();
  const member = opts.cluster ? await ClusterMember.join(opts.cluster, { dbPath, adminUrl: urlOf(admin.host, admin.port), holder, log }) : undefined;
  const store = member?.store ?? openStore(dbPath);
  const closeStore = () => (member ? member.stop() : Promise.resolve(store.close()));
  warnExposed(dbPath, log);
  const metrics = new Registry();
  registerBuildInfo(metrics, pkg.version);
  registerProcessMetrics(metrics);
  let plane: DataPlane | undefined;
  let draining = false;
  const servers: Server[] = [];
  const preflight = (s: Snapshot) => (plane?.runtime?.preflight ? plane.runtime.preflight(s) : opts.preflight?.(s));
  const control = new AppliedControl({ store, holder, preflight });
  try {
    if (opts.configFile !== undefined && opts.applyConfig !== false) await applyFile(control, store, opts, log, member !== undefined);
    // Without --config nothing is published yet: compile what is stored.
    control.publishStored();
    plane = await opts.dataPlane?.({ store, holder, metrics, sharedHealth: member?.health, published: (r) => control.publishedAt(r) });
    control.applied = plane?.whenApplied?.bind(plane);
    // What the data plane serves (with workers: what every worker serves) is the node's applied revision.
    const served = plane?.applied ?? holder;
    member?.follow(control, served);
    member?.registerMetrics(metrics);
    const ready = () => served.current() !== undefined && (plane?.ready?.() ?? true);
    const readiness = (): Readiness => (draining ? "draining" : ready() ? "ready" : "not_ready");
    const info: NodeInfo = {
      version: pkg.version,
      pid: process.pid,
      started_at: new Date(performance.timeOrigin).toISOString(),
      workers: opts.workers ?? 1,
      ...(opts.upgradedFrom !== undefined ? { upgraded_from: opts.upgradedFrom } : {}),
    };
    const states = plane?.runtime?.workerStates?.bind(plane.runtime);
    const runtime: RuntimeView = { ...plane?.runtime, node: () => (states ? { ...info, worker_states: states() } : info) };
    const cluster = member?.view;
    const app = createAdminApp({ store, holder: served, control, metrics, runtime, token: opts.token, bodyLimit: opts.bodyLimit, ready, draining: () => draining, cluster });
    const takenOver = opts.upgradedFrom !== undefined;
    servers.push(serveAt(admin.host, admin.port, refreshing(app.fetch, plane), takenOver));
    member?.setAdminUrl(urlOf(admin.host, servers[0]!.port));
    const probe = createProbeApp({ holder: served, readiness, cluster: cluster ? () => cluster.summary() : undefined }, metrics);
    if (probeAt) servers.push(serveAt(probeAt.host, probeAt.port, refreshing(probe.fetch, plane), takenOver));
    const metricsUrl = probeAt ? urlOf(probeAt.host, servers[1]!.port) : undefined;
    if (metricsUrl) log(`metrics listening on ${metricsUrl} (/metrics, /readyz, /healthz; no token)`);
    let stopped: Promise<void> | undefined;
    let retired: Promise<void> | undefined;
    const retire = () => (retired ??= (async () => void (await Promise.all(servers.map((s) => s.stop(true)))))());
    const stop = (graceMs = 0) =>
      (stopped ??= (async () => {
        // /readyz turns 503 DRAINING once no listener accepts (a worker's close is a message
        // away): from then on a new connection is refused.
        if (!plane) draining = true;
        await plane?.stop(graceMs, () => (draining = true));
        draining = true;
        await retire();
        await closeStore();
      })());
    const reload = reloadOf(control, opts.configFile);
    const reopenLogs = async () => [...new Set([...reopenLogFiles(), ...((await plane?.reopenLogs?.()) ?? [])])];
    const hostPort = (host: string, port: number | undefined) => `${host.includes(":") ? `[${host}]` : host}:${port}`;
    return {
      store, holder, control, metrics, dbPath, adminUrl: urlOf(admin.host, servers[0]!.port), cluster: member, metricsUrl, reload, reopenLogs, stop, retire,
      ...(plane?.sockets ? { sockets: plane.sockets.bind(plane) } : {}),
      adminAddress: hostPort(admin.host, servers[0]!.port),
      ...(probeAt ? { metricsAddress: hostPort(probeAt.host, servers[1]!.port) } : {}),
    };
  } catch (e) {
    for (const server of servers) await server.stop(true);
    await plane?.stop();
    // an upgrade that failed: the lease carried on is the old node's again, not to be revoked
    if (opts.cluster?.continueLease) await member?.handOver();
    await closeStore();
    if (e instanceof LbError) throw e;
    throw new LbError("INTERNAL", `could not start: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads that show live counters: with a data plane that keeps them elsewhere, gathered first. */
const LIVE_READS = new Set(["/metrics", "/v1/status", "/v1/stats/history"]);

/** `fetch`, bringing the data plane's counters up to date before a read of them. */
function refreshing(fetch: (req: Request) => Response | Promise<Response>, plane: DataPlane | undefined): (req: Request) => Promise<Response> {
  return async (req) => {
    const refresh = plane?.refresh;
    if (refresh && req.method === "GET") {
      const path = new URL(req.url).pathname.replace(/\/+$/, "");
      if (LIVE_READS.has(path)) await refresh.call(plane, path === "/metrics");
    }
    return await fetch(req);
  };
}

/**
 * start --config. In a cluster with etcd away the node still starts on its mirror (that is what
 * the mirror is for): the file is not applied, and the log says so.
 */
async function applyFile(control: ConfigControl, store: Store, opts: NodeOptions, log: NonNullable<NodeOptions["log"]>, clustered: boolean): Promise<void> {
  try {
    await applyConfigFile({ control, store }, opts.configFile!, opts.force ?? false, log);
  } catch (e) {
    if (!clustered || !isLbError(e, "CLUSTER_UNAVAILABLE")) throw e;
    log(`${opts.configFile} not applied: ${e.message}; serving the mirrored revision ${store.read().revision} until etcd answers (send SIGHUP to apply it then)`, "error");
  }
}

/** FulcrumNode.reload: the --config file re-read and applied like `apply`, recorded as SIGHUP. */
function reloadOf(control: ConfigControl, file: string | undefined): FulcrumNode["reload"] {
  if (file === undefined) return undefined;
  return async () => control.apply(await readConfigFile(file), { source: "sighup", file: resolve(file), summary: `SIGHUP reload of ${file}` });
}
