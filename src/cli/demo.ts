/**
 * `fulcrum demo [--port 8080] [--admin 127.0.0.1:9901] [--db PATH]`: a newcomer's first five
 * minutes (`--nodes N`: the same as a cluster, demo-cluster.ts). Starts three demo backends in this process, applies a demo config (http listener with
 * routes, a Maglev pool, health checks, retries) through startNode, the same path `fulcrum start`
 * takes, prints a guide of curl commands, and runs until Ctrl-C / SIGTERM (exit 0).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LbError } from "../errors.ts";
import { startDataPlane, type RunningDataPlane } from "../runtime/index.ts";
import { parseCommand, seeHelp } from "./args.ts";
import { readToken } from "./admin-client.ts";
import { DEFAULT_DOWN_MS, startDemoBackends, type DemoBackend } from "./demo-backends.ts";
import { DEMO_HASH_HEADER, DEMO_NAMES, demoConfig } from "./demo-config.ts";
import { demoGuide } from "./demo-guide.ts";
import { reportError } from "./report.ts";
import { DEMO } from "./specs.ts";
import { clusterDemo } from "./demo-cluster.ts";
import { startNode, type FulcrumNode } from "./start.ts";

const DEFAULT_PORT = 8080;
/** The example hash key of the guide. */
const KEY = "alice";
/** A demo has nothing worth draining for long. */
const DRAIN_MS = 1000;

function parsePort(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PORT;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) {
    throw new LbError("INVALID_ARGUMENT", `--port must be a port number 0..65535 (0 picks a free one), got "${v}"`);
  }
  return n;
}

/** --nodes: 1 (the one-node demo, the default) or a cluster of 2 to 5. */
function parseNodes(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d$/.test(v) || n < 1 || n > 5) throw new LbError("INVALID_ARGUMENT", `--nodes must be 1 to 5, got "${v}"`);
  return n;
}

/** Prints event lines (health flips, backends crashing) under the guide, stamped with the time. */
function eventLog(line: string): void {
  // The guide says where each listener is, and demoCommand explains a failed bind itself.
  if (/^listener \S+ (\(\w+\) on |failed to bind)/.test(line)) return;
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** Writes the demo config where startNode can read it, as `fulcrum start --config` would. */
async function startWithConfig(doc: unknown, opts: { db: string; admin?: string; token?: string }) {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-demo-"));
  let plane: RunningDataPlane | undefined;
  try {
    const configFile = join(dir, "demo.json");
    writeFileSync(configFile, JSON.stringify(doc, null, 2));
    const node = await startNode({
      dbPath: opts.db,
      configFile,
      // The demo's config is the demo: it replaces whatever an earlier demo left in --db.
      force: true,
      admin: opts.admin,
      token: opts.token,
      dataPlane: async ({ holder, metrics }) => (plane = await startDataPlane({ holder, metrics, log: eventLog })),
    });
    return { node, plane: plane! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function proxyPortBusy(port: number): LbError {
  return new LbError(
    "INVALID_ARGUMENT",
    `port ${port} on 127.0.0.1 is in use by another program, so the demo proxy cannot listen there. ` +
      `Pick another with --port ${port === DEFAULT_PORT ? 8090 : DEFAULT_PORT}, or --port 0 for any free one.`,
  );
}

/** Fails early, before anything starts, when the proxy's port is taken (the common case: a second demo). */
function checkProxyPort(port: number): void {
  if (port === 0) return;
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
  } catch (e) {
    if ((e as { code?: string }).code === "EADDRINUSE") throw proxyPortBusy(port);
    // Anything else (a privileged port, say) is reported by the listener itself below.
  }
}

/** Turns "the admin port is taken" into a message that says what to do. */
function explainStartFailure(e: unknown, admin: string | undefined): never {
  const text = `${(e as Error)?.message ?? ""} ${((e as { cause?: Error })?.cause as Error | undefined)?.message ?? ""}`;
  if (/EADDRINUSE|in use/i.test(text)) {
    throw new LbError(
      "INVALID_ARGUMENT",
      `the admin API could not listen on ${admin ?? process.env.FULCRUM_ADMIN ?? "127.0.0.1:9901"}: the port is in use ` +
        "(is `fulcrum start` or another demo running?). Stop it, or pass --admin 127.0.0.1:9902 (or 127.0.0.1:0 for any free port).",
    );
  }
  throw e;
}

/** Which backend the example key lands on, asked through the proxy; the first backend if unsure. */
async function victimOf(proxyUrl: string, backends: readonly DemoBackend[]): Promise<DemoBackend> {
  try {
    const res = await fetch(`${proxyUrl}/`, { headers: { [DEMO_HASH_HEADER]: KEY }, signal: AbortSignal.timeout(2000) });
    const name = res.headers.get("x-demo-backend");
    await res.body?.cancel();
    return backends.find((b) => b.name === name) ?? backends[0]!;
  } catch {
    // The guide still works with any backend as the one to crash.
    return backends[0]!;
  }
}

/** Runs the demo until SIGTERM/SIGINT; resolves to the exit code only on a startup failure. */
export async function demoCommand(argv: string[]): Promise<number> {
  let backends: DemoBackend[] = [];
  let node: FulcrumNode;
  let proxyUrl: string;
  let token: string | undefined;
  try {
    const { values, positionals } = parseCommand(DEMO, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}" (${seeHelp("demo")})`);
    const nodes = parseNodes(values.nodes);
    if (nodes > 1) {
      if (values.port !== undefined || values.db !== undefined) {
        throw new LbError("INVALID_ARGUMENT", "--port and --db are for the one-node demo: each node of a cluster demo binds a free port and keeps its mirror in the demo's folder");
      }
      return await clusterDemo({ nodes, admin: values.admin ?? process.env.FULCRUM_ADMIN ?? "127.0.0.1:9901", token: await readToken(undefined) });
    }
    const port = parsePort(values.port);
    token = await readToken(undefined);
    checkProxyPort(port);
    backends = startDemoBackends(port, eventLog);
    const doc = demoConfig("127.0.0.1", port, backends.map((b) => b.address));
    const started = await startWithConfig(doc, { db: values.db ?? ":memory:", admin: values.admin, token }).catch((e) =>
      explainStartFailure(e, values.admin),
    );
    node = started.node;
    const bound = started.plane.listeners.port(DEMO_NAMES.listener);
    if (bound === undefined) {
      // Taken between the check and the bind, or refused for another reason (a privileged port).
      const why = started.plane.listeners.states().find((s) => s.name === DEMO_NAMES.listener)?.error ?? "unknown reason";
      await node.stop();
      const e = proxyPortBusy(port);
      throw new LbError("INVALID_ARGUMENT", `${e.message} (${why})`);
    }
    proxyUrl = `http://127.0.0.1:${bound}`;
  } catch (e) {
    for (const b of backends) b.stop();
    return reportError("demo", e);
  }
  const victim = await victimOf(proxyUrl, backends);
  console.log(
    demoGuide({
      proxyUrl,
      adminUrl: node.adminUrl,
      adminAuth: token !== undefined,
      backends,
      victim,
      key: KEY,
      dbPath: node.dbPath,
      downSeconds: Math.round(DEFAULT_DOWN_MS / 1000),
    }),
  );
  return await new Promise<number>(() => {
    const shutdown = (signal: string) => {
      console.log(`${signal}: stopping the demo`);
      // The node first, so its health checks do not report the backends going away; exit
      // explicitly: a socket left open must not keep a stopped demo alive.
      void node.stop(DRAIN_MS).then(
        () => {
          for (const b of backends) b.stop();
          console.log("demo stopped");
          process.exit(0);
        },
        (e) => process.exit(reportError("demo", e)),
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
