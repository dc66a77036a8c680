/**
 * `fulcrum start [OPTIONS]` (specs.ts lists them): parses the options, starts the node (start.ts)
 * with its data plane on this thread (--workers 1) or on N workers, and serves until a stop signal.
 * A node started by an upgrade (FULCRUM_UPGRADE, runtime/handover) takes its predecessor's
 * sockets and addresses over, serves what the database holds (its --config is for SIGHUP) and
 * tells its predecessor once it serves. SIGUSR2 and `fulcrum upgrade` (over the local control
 * socket) start the next one.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { LbError } from "../errors.ts";
import { buildCommit, createLogger, LOG_FORMATS, type EventLog, type Logger, type LogFormat } from "../obs/index.ts";
import {
  askControl,
  closeFd,
  successorReady,
  controlSocketPath,
  preflightListeners,
  serveControl,
  socketsFor,
  startDataPlane,
  startWorkerPlane,
  takeHandoff,
  type Handoff,
} from "../runtime/index.ts";
import type { Snapshot } from "../config/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { parseCommand, seeHelp } from "./args.ts";
import { readToken } from "./admin-client.ts";
import { logConfigChanges, logConfigWarnings } from "./config-log.ts";
import { handleSignals } from "./node-signals.ts";
import { reloadConfigFile } from "./reload.ts";
import { reportError } from "./report.ts";
import { selfCommand } from "./self.ts";
import { START } from "./specs.ts";
import { startNode, type DataPlane, type DataPlaneContext, type FulcrumNode } from "./start.ts";
import { upgradeNode } from "./upgrade.ts";
import { clusterOptions } from "./start-cluster.ts";

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

/** --workers: a whole number from 1 to 256; default the cores this process may use. */
function parseWorkers(v: string | undefined): number {
  if (v === undefined) return Math.max(1, availableParallelism());
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new LbError("INVALID_ARGUMENT", `--workers must be a whole number from 1 to 256, got "${v}"`);
  return n;
}

function parseLogFormat(v: string | undefined): LogFormat {
  if (v === undefined) return "text";
  if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new LbError("INVALID_ARGUMENT", `--log-format must be ${LOG_FORMATS.join(" or ")}, got "${v}"`);
  return v as LogFormat;
}

/** The data plane: on this thread (one worker), or N workers fed by this thread; taking over `handoff`'s sockets. */
function dataPlaneOf(workers: number, logger: Logger, handoff: Handoff | undefined): (ctx: DataPlaneContext) => Promise<DataPlane> {
  return async ({ holder, metrics, store, sharedHealth, published }) => {
    const log: EventLog = (line, level = "info", fields) => logger.log(level, line, fields);
    if (workers === 1) {
      const config = new Map((holder.current()?.listeners ?? []).map((l) => [l.name, l.address] as const));
      const inherited = handoff ? socketsFor(handoff, config) : undefined;
      for (const l of handoff?.listeners ?? []) if (!inherited?.has(l.name)) l.fds.forEach(closeFd);
      return await startDataPlane({ holder, metrics, log, sharedHealth, ...(inherited ? { inherited } : {}) });
    }
    return await startWorkerPlane({
      count: workers,
      holder,
      metrics,
      log,
      docOf: (snap: Snapshot) => {
        const stored = published?.(snap.revision) ?? store.read();
        return stored.revision === snap.revision ? stored : undefined;
      },
      faults: process.env.FULCRUM_TEST_FAULTS === "1",
      ...(sharedHealth ? { sharedHealth } : {}),
      ...(handoff ? { handoff } : {}),
    });
  };
}

/** Runs `start` until SIGTERM/SIGINT or an upgrade; resolves to the exit code only on a startup failure. */
export async function startCommand(argv: string[]): Promise<number> {
  let node: FulcrumNode;
  let token: string | undefined;
  let log: Logger;
  let drainMs: number;
  let configFile: string | undefined;
  let handoff: Handoff | undefined;
  try {
    const { values, positionals } = parseCommand(START, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}" (${seeHelp("start")})`);
    const logger = (log = createLogger({ format: parseLogFormat(values["log-format"]) }));
    handoff = takeHandoff();
    token = await readToken(values["admin-token-file"]);
    drainMs = parseDrain(values["drain-timeout-ms"]);
    const workers = parseWorkers(values.workers);
    configFile = values.config;
    if (values.force && configFile === undefined) throw new LbError("INVALID_ARGUMENT", "--force goes with --config FILE");
    const cluster = clusterOptions(values);
    if (cluster && handoff?.lease) cluster.continueLease = handoff.lease;
    node = await startNode({
      dbPath: values.db,
      configFile,
      force: values.force === true,
      // An upgrade serves where the old node served (its ports as bound, port 0 included).
      admin: handoff?.admin ?? values.admin,
      metrics: handoff ? handoff.metrics : values.metrics,
      token,
      log: (line, level = "info") => logger.log(level, line),
      cluster,
      workers,
      ...(handoff ? { upgradedFrom: handoff.from, applyConfig: false } : {}),
      dataPlane: dataPlaneOf(workers, logger, handoff),
      preflight: (snapshot) => preflightListeners(snapshot),
    });
  } catch (e) {
    return reportError("start", e);
  }
  return await serveUntilStopped(node, { log, token, drainMs, configFile, argv, handoff });
}

/** Tells the node this one upgrades that it serves: over its control socket, and over IPC when there is a channel. */
async function tellReady(from: number, log: Logger): Promise<void> {
  const ready = { pid: process.pid, version: pkg.version };
  process.send?.({ t: "ready", ...ready });
  try {
    await askControl(controlSocketPath(from), { ready }, 10_000);
  } catch (e) {
    if (!process.send) log.warn(`upgrade: could not tell pid ${from} this node serves: ${(e as Error).message}`);
  }
}

/** After a successful start: signal handlers, the control socket, the banner, the config's warnings and changes in the log. */
function serveUntilStopped(
  node: FulcrumNode,
  o: { log: Logger; token?: string; drainMs: number; configFile?: string; argv: string[]; handoff?: Handoff },
): Promise<never> {
  const unfollow = logConfigChanges(node.store, node.holder, o.log);
  const file = o.configFile;
  const reload = node.reload;
  let closeControl = () => {};
  // Handlers first: until they are installed a signal has its default action (the process dies),
  // and a signal may be sent the moment the banner says the node is up.
  const signals = handleSignals({
    log: o.log,
    drainMs: o.drainMs,
    stop: async (graceMs) => {
      unfollow();
      closeControl();
      await node.stop(graceMs);
    },
    reload: file === undefined || reload === undefined ? undefined : () => reloadConfigFile(node.store, reload, file, o.log),
    reopenLogs: () => node.reopenLogs(),
    upgrade: (binary) =>
      upgradeNode({
        log: o.log,
        args: ["start", ...o.argv],
        adminAddress: node.adminAddress,
        ...(node.metricsAddress ? { metricsAddress: node.metricsAddress } : {}),
        ...(node.cluster ? { lease: node.cluster.leaseId } : {}),
        sockets: async () => (await node.sockets?.()) ?? [],
        retire: async () => {
          closeControl();
          await node.cluster?.handOver();
          await node.retire();
        },
      }, binary),
  });
  try {
    closeControl = serveControl(controlSocketPath(process.pid), async (req) => {
      if ("ready" in req) return { ok: successorReady({ t: "ready", ...req.ready }) };
      return await signals.upgrade(req.upgrade?.binary);
    });
  } catch (e) {
    o.log.warn(`no control socket (fulcrum upgrade will not reach this node; SIGUSR2 will): ${(e as Error).message}`);
  }
  printBanner(node, o.token, o.log);
  if (o.handoff) {
    o.log.info(`upgrade: took over the listening sockets of pid ${o.handoff.from}`, { upgraded_from: o.handoff.from });
    void tellReady(o.handoff.from, o.log);
  }
  logConfigWarnings(node.store, o.log);
  return signals.running;
}
