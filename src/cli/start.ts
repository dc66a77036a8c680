/**
 * `fulcrum start [OPTIONS]` (specs.ts lists them) and startNode, the seam the composition root
 * extends: open the store, apply a config file if given, publish the current revision's snapshot,
 * start the data plane (when the caller supplies one), then serve the admin API. SIGTERM/SIGINT
 * stop everything in reverse order and exit 0; SIGHUP reloads --config, SIGUSR1 reopens log files
 * (node-signals.ts). Every line a running node prints goes through one Logger (--log-format).
 */
import { resolve } from "node:path";
import { createAdminApp, type RuntimeView } from "../admin/index.ts";
import { applyConfig, publishStored, SnapshotHolder, type Snapshot } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { createLogger, LOG_FORMATS, Registry, type Logger, type LogFormat } from "../obs/index.ts";
import { defaultDbPath, openStore, type Store } from "../store/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { parseCommand, parseHostPort, seeHelp } from "./args.ts";
import { DEFAULT_ADMIN, readToken } from "./admin-client.ts";
import { readConfigFile } from "./config-file.ts";
import { logConfigChanges, logConfigWarnings } from "./config-log.ts";
import { handleSignals } from "./node-signals.ts";
import { reloadConfigFile } from "./reload.ts";
import { reportError } from "./report.ts";
import { selfCommand } from "./self.ts";
import { START } from "./specs.ts";
import { startDataPlane, type RunningDataPlane } from "../runtime/index.ts";

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
}

/** Options of startNode; every field has a default. */
export interface NodeOptions {
  /** SQLite file (created if missing); default FULCRUM_DB or ./fulcrum.db. */
  dbPath?: string;
  /** A config file (YAML or JSON) applied before anything serves. */
  configFile?: string;
  /** Admin address HOST:PORT; port 0 picks a free one. Default FULCRUM_ADMIN or 127.0.0.1:9901. */
  admin?: string;
  /** Admin bearer token; required to bind the admin API beyond loopback. */
  token?: string;
  /** Largest admin request body in bytes. */
  bodyLimit?: number;
  /** Starts the data plane once the first snapshot is published (the lead wires L4/L7 here). */
  dataPlane?: (ctx: DataPlaneContext) => Promise<DataPlane>;
}

/** A running node. */
export interface FulcrumNode {
  store: Store;
  holder: SnapshotHolder;
  metrics: Registry;
  dbPath: string;
  /** Base URL of the admin API, with the real port. */
  adminUrl: string;
  /**
   * Drains and stops: /readyz turns 503 at once, the data plane stops accepting and gets up to
   * `graceMs` for in-flight work, then the admin API stops and the store closes. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** Starts a node; throws LbError (nothing left running) when any step fails. */
export async function startNode(opts: NodeOptions = {}): Promise<FulcrumNode> {
  const { host, port } = parseHostPort(opts.admin ?? process.env.FULCRUM_ADMIN ?? DEFAULT_ADMIN);
  if (!isLoopback(host) && !opts.token) {
    throw new LbError(
      "INVALID_ARGUMENT",
      `refusing to serve the admin API on ${host} without a token: anyone who can reach it could rewrite the config. ` +
        "Set FULCRUM_ADMIN_TOKEN or pass --admin-token-file PATH, or bind to 127.0.0.1.",
    );
  }
  const dbPath = opts.dbPath ?? defaultDbPath();
  const store = openStore(dbPath);
  const holder = new SnapshotHolder();
  const metrics = new Registry();
  let plane: DataPlane | undefined;
  let draining = false;
  try {
    if (opts.configFile !== undefined) {
      applyConfig({ store, holder }, await readConfigFile(opts.configFile), { summary: `start --config ${opts.configFile}` });
    }
    // Without --config nothing is published yet: compile what is stored.
    if (holder.current()?.revision !== store.read().revision) publishStored({ store, holder });
    plane = await opts.dataPlane?.({ store, holder, metrics });
    const app = createAdminApp({
      store,
      holder,
      metrics,
      runtime: plane?.runtime,
      token: opts.token,
      bodyLimit: opts.bodyLimit,
      ready: () => !draining && holder.current() !== undefined && (plane?.ready?.() ?? true),
    });
    const server = Bun.serve({ hostname: host, port, fetch: app.fetch });
    let stopped: Promise<void> | undefined;
    const stop = (graceMs = 0) =>
      (stopped ??= (async () => {
        draining = true;
        await plane?.stop(graceMs);
        await server.stop(true);
        store.close();
      })());
    const shownHost = host.includes(":") ? `[${host}]` : host;
    return { store, holder, metrics, dbPath, adminUrl: `http://${shownHost}:${server.port}`, stop };
  } catch (e) {
    await plane?.stop();
    store.close();
    if (e instanceof LbError) throw e;
    throw new LbError("INTERNAL", `could not start: ${(e as Error).message}`, { cause: e });
  }
}

function printBanner(node: FulcrumNode, token: string | undefined, log: Logger): void {
  const revision = node.holder.current()?.revision ?? 0;
  const database = node.dbPath === ":memory:" ? node.dbPath : resolve(node.dbPath);
  const auth = token ? ` -H "Authorization: Bearer $FULCRUM_ADMIN_TOKEN"` : "";
  log.info(`fulcrum ${pkg.version} started (pid ${process.pid})`, { pid: process.pid, version: pkg.version });
  log.info(`database ${database} at revision ${revision}`, { database, revision });
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
    node = await startNode({
      dbPath: values.db,
      configFile,
      admin: values.admin,
      token,
      dataPlane: async ({ holder, metrics }) =>
        (plane = await startDataPlane({ holder, metrics, log: (line, level = "info", fields) => logger.log(level, line, fields) })),
    });
  } catch (e) {
    return reportError("start", e);
  }
  return await serveUntilStopped(node, { log, token, drainMs, configFile, preflight: (s) => plane?.runtime.preflight?.(s) });
}

/** After a successful start: signal handlers, the banner, the config's warnings and changes in the log. */
function serveUntilStopped(
  node: FulcrumNode,
  o: { log: Logger; token?: string; drainMs: number; configFile?: string; preflight: (s: Snapshot) => void },
): Promise<never> {
  const unfollow = logConfigChanges(node.store, node.holder, o.log);
  const deps = { store: node.store, holder: node.holder, preflight: o.preflight };
  const file = o.configFile;
  // Handlers first: until they are installed a signal has its default action (the process dies),
  // and a signal may be sent the moment the banner says the node is up.
  const running = handleSignals({
    log: o.log,
    drainMs: o.drainMs,
    stop: async (graceMs) => {
      unfollow();
      await node.stop(graceMs);
    },
    reload: file === undefined ? undefined : () => reloadConfigFile(deps, file, o.log),
  });
  printBanner(node, o.token, o.log);
  logConfigWarnings(node.store, o.log);
  return running;
}
