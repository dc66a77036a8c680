/**
/**
 * `fulcrum start [OPTIONS]` (specs.ts lists them) and startNode, the seam the composition root
 * extends: open the store, apply a config file if given (printing its diff; refused when it would
 * overwrite changes made since that file was last applied, unless --force), publish the current
 * revision's snapshot, start the data plane (when the caller supplies one), then serve the admin
 * API (and the probe listener, --metrics). With --cluster (start-cluster.ts) the store is etcd,
 * read through the node's SQLite mirror. SIGTERM/SIGINT stop everything in reverse order and
 * exit 0; SIGHUP reloads --config, SIGUSR1 reopens log files (node-signals.ts). Every line a
 * running node prints goes through one Logger (--log-format).
 */
import { resolve } from "node:path";
import { createAdminApp, createProbeApp, type Readiness, type RuntimeView } from "../admin/index.ts";
import { SnapshotHolder, type Snapshot } from "../config/index.ts";
import { ConfigControl, type ChangeResult } from "../control/index.ts";
import { isLbError, LbError } from "../errors.ts";
import { buildCommit, createLogger, LOG_FORMATS, Registry, registerBuildInfo, registerProcessMetrics, type Logger, type LogFormat } from "../obs/index.ts";
import { defaultDbPath, openStore, type Store } from "../store/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { parseCommand, parseHostPort, seeHelp } from "./args.ts";
import { DEFAULT_ADMIN, readToken } from "./admin-client.ts";
import { readConfigFile } from "./config-file.ts";
import { logConfigChanges, logConfigWarnings } from "./config-log.ts";
import { handleSignals } from "./node-signals.ts";
import { reloadConfigFile } from "./reload.ts";
import { reportError } from "./report.ts";
import { applyConfigFile, warnExposed } from "./start-config.ts";
import { selfCommand } from "./self.ts";
import { START } from "./specs.ts";
import { preflightListeners, startDataPlane, type RunningDataPlane, type SharedHealth } from "../runtime/index.ts";
import { ClusterMember, clusterOptions, type ClusterOptions } from "./start-cluster.ts";

/** What a data plane hands back to startNode: its runtime view, readiness, and how to stop it. */
export interface DataPlane {
  runtime?: RuntimeView;
  /** True once every listener is bound; /readyz also requires an applied snapshot. */
  ready?(): boolean;
  /** Stops accepting; in-flight work gets up to `graceMs` to finish. */
  stop(graceMs?: number): Promise<void>;
}

/** Everything a data plane may use; it must not import src/store or src/admin itself. */
export interface DataPlaneContext {
  store: Store;
  holder: SnapshotHolder;
  metrics: Registry;
  /** In a cluster: the health verdicts to build selectors from (this node's checks are votes). */
  sharedHealth?: SharedHealth;
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
  /** The node's cluster membership (--cluster); undefined for a standalone node. */
  cluster?: ClusterMember;
  /** Base URL of the probe listener (--metrics), with the real port. */
  metricsUrl?: string;
  /**
   * Re-reads the `--config` file and applies it like `apply` (history source "sighup"): an invalid
   * file rejects and changes nothing. Undefined when the node was started without one.
   */
  reload?: () => Promise<ChangeResult>;
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

type Server = ReturnType<typeof Bun.serve>;

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
  const control = new ConfigControl({ store, holder, preflight });
  try {
    if (opts.configFile !== undefined) await applyFile(control, store, opts, log, member !== undefined);
    // Without --config nothing is published yet: compile what is stored.
    control.publishStored();
    plane = await opts.dataPlane?.({ store, holder, metrics, sharedHealth: member?.health });
    member?.follow(control);
    member?.registerMetrics(metrics);
    const ready = () => holder.current() !== undefined && (plane?.ready?.() ?? true);
    const readiness = (): Readiness => (draining ? "draining" : ready() ? "ready" : "not_ready");
    const cluster = member?.view;
    const app = createAdminApp({ store, holder, control, metrics, runtime: plane?.runtime, token: opts.token, bodyLimit: opts.bodyLimit, ready, draining: () => draining, cluster });
    servers.push(Bun.serve({ hostname: admin.host, port: admin.port, fetch: app.fetch }));
    member?.setAdminUrl(urlOf(admin.host, servers[0]!.port));
    const probe = createProbeApp({ holder, readiness, cluster: cluster ? () => cluster.summary() : undefined }, metrics);
    if (probeAt) servers.push(Bun.serve({ hostname: probeAt.host, port: probeAt.port, fetch: probe.fetch }));
    const metricsUrl = probeAt ? urlOf(probeAt.host, servers[1]!.port) : undefined;
    if (metricsUrl) log(`metrics listening on ${metricsUrl} (/metrics, /readyz, /healthz; no token)`);
    let stopped: Promise<void> | undefined;
    const stop = (graceMs = 0) =>
      (stopped ??= (async () => {
        draining = true;
        await plane?.stop(graceMs);
        for (const server of servers) await server.stop(true);
        await closeStore();
      })());
    const reload = reloadOf(control, opts.configFile);
    return { store, holder, control, metrics, dbPath, adminUrl: urlOf(admin.host, servers[0]!.port), cluster: member, metricsUrl, reload, stop };
  } catch (e) {
    for (const server of servers) await server.stop(true);
    await plane?.stop();
    await closeStore();
    if (e instanceof LbError) throw e;
    throw new LbError("INTERNAL", `could not start: ${(e as Error).message}`, { cause: e });
  }
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

function printBanner(node: FulcrumNode, token: string | undefined, log: Logger): void {
  const revision = node.holder.current()?.revision ?? 0;
  const database = node.dbPath === ":memory:" ? node.dbPath : resolve(node.dbPath);
  const auth = token ? ` -H "Authorization: Bearer $FULCRUM_ADMIN_TOKEN"` : "";
  log.info(`fulcrum ${pkg.version} started (pid ${process.pid})`, { pid: process.pid, version: pkg.version, commit: buildCommit() });
  if (node.cluster) {
    const { node: name, etcd, config_from } = node.cluster.view.summary();
    const endpoints = node.cluster.node.opts.endpoints.join(",");
    log.info(`cluster node ${name}: etcd ${endpoints} ${etcd}; serving revision ${revision} (config from ${config_from}, mirror in ${database})`, { node: name, etcd, revision, database });
  } else log.info(`database ${database} at revision ${revision}`, { database, revision });
  log.info(`admin listening on ${node.adminUrl}${token ? " (bearer token required)" : ""}`, { admin: node.adminUrl, token_required: token !== undefined });
  log.info(`try: curl${auth} ${node.adminUrl}/v1/config   or   ${selfCommand()} apply -f fulcrum.yaml --admin ${node.adminUrl}`);
}

/** How long SIGTERM waits for in-flight work by default (Envoy's drain time is 600 s; k8s gives 30 s). */
const DEFAULT_DRAIN_MS = 25_000;

function parseDrain(v: string | undefined): number {
  if (v === undefined) return DEFAULT_DRAIN_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new LbError("INVALID_ARGUMENT", `--drain-timeout-ms must be a whole number of milliseconds, got "${v}"`);
  return n;
}

function parseLogFormat(v: string | undefined): LogFormat {
  if (v === undefined) return "text";
  if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new LbError("INVALID_ARGUMENT", `--log-format must be ${LOG_FORMATS.join(" or ")}, got "${v}"`);
  return v as LogFormat;
}

/** Runs `start` until SIGTERM/SIGINT (SIGHUP reloads, SIGUSR1 reopens logs); resolves to the exit code only on a startup failure. */
export async function startCommand(argv: string[]): Promise<number> {
  let node: FulcrumNode;
  let plane: RunningDataPlane | undefined;
  let token: string | undefined;
  let log: Logger;
  let drainMs: number;
  let configFile: string | undefined;
  try {
    const { values, positionals } = parseCommand(START, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}" (${seeHelp("start")})`);
    const logger = (log = createLogger({ format: parseLogFormat(values["log-format"]) }));
    token = await readToken(values["admin-token-file"]);
    drainMs = parseDrain(values["drain-timeout-ms"]);
    configFile = values.config;
    if (values.force && configFile === undefined) throw new LbError("INVALID_ARGUMENT", "--force goes with --config FILE");
    const cluster = clusterOptions(values);
    node = await startNode({
      dbPath: values.db,
      configFile,
      force: values.force === true,
      admin: values.admin,
      metrics: values.metrics,
      token,
      cluster,
      log: (line, level = "info") => logger.log(level, line),
      dataPlane: async ({ holder, metrics, sharedHealth }) =>
        (plane = await startDataPlane({ holder, metrics, sharedHealth, log: (line, level = "info", fields) => logger.log(level, line, fields) })),
      preflight: (snapshot) => preflightListeners(snapshot),
    });
  } catch (e) {
    return reportError("start", e);
  }
  return await serveUntilStopped(node, { log, token, drainMs, configFile });
}

/** After a successful start: signal handlers, the banner, the config's warnings and changes in the log. */
function serveUntilStopped(
  node: FulcrumNode,
  o: { log: Logger; token?: string; drainMs: number; configFile?: string },
): Promise<never> {
  const unfollow = logConfigChanges(node.store, node.holder, o.log);
  const file = o.configFile;
  const reload = node.reload;
  // Handlers first: until they are installed a signal has its default action (the process dies),
  // and a signal may be sent the moment the banner says the node is up.
  const running = handleSignals({
    log: o.log,
    drainMs: o.drainMs,
    stop: async (graceMs) => {
      unfollow();
      await node.stop(graceMs);
    },
    reload: file === undefined || reload === undefined ? undefined : () => reloadConfigFile(node.store, reload, file, o.log),
  });
  printBanner(node, o.token, o.log);
  logConfigWarnings(node.store, o.log);
  return running;
}
