/**
 * `fulcrum demo --nodes N` (2..5): a cluster on this machine. Starts a local etcd (when `etcd` is
 * on PATH; otherwise says how to install it), N `fulcrum start --cluster` nodes, four demo backends
 * (three in the config, one for the guide to add), writes the demo config through the first node
 * and waits until every node applied it, then runs a small client through the nodes and prints
 * the guide. Ctrl-C stops everything and removes the demo's folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LbError } from "../errors.ts";
import { parseHostPort } from "./args.ts";
import { clusterGuide } from "./demo-cluster-guide.ts";
import { etcdMissing, startDemoEtcd, startDemoNode, type DemoProcess } from "./demo-cluster-procs.ts";
import { DemoBackend } from "./demo-backends.ts";
import { DEMO_NAMES, demoConfig } from "./demo-config.ts";
import { reportError } from "./report.ts";

const KEY = "alice";

export interface ClusterDemoOptions {
  nodes: number;
  /** The first node's admin address; the others take the next ports (port 0: any free one each). */
  admin: string;
  token?: string;
}

/** What the demo runs, for the clean-up. */
interface Running {
  dir: string;
  procs: DemoProcess[];
  backends: DemoBackend[];
  client?: { stop(): { sent: number; failed: number } };
  stopping: boolean;
}

/** Prints an event line under the guide, stamped with the time. */
function say(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The admin address of node `i` (0-based). */
function adminOf(base: string, i: number): string {
  const { host, port } = parseHostPort(base);
  return `${host.includes(":") ? `[${host}]` : host}:${port === 0 ? 0 : port + i}`;
}

/** Starts everything; on any failure stops what started and throws. */
async function startAll(o: ClusterDemoOptions, run: Running) {
  if (!Bun.which("etcd")) throw etcdMissing();
  const etcd = await startDemoEtcd(run.dir);
  run.procs.push(etcd.proc);
  for (let i = 1; i <= 4; i++) run.backends.push(DemoBackend.start(`demo-${i}`, 0, say));
  const names = Array.from({ length: o.nodes }, (_, i) => `lb-${i + 1}`);
  const nodes = await Promise.all(names.map(async (name, i) => {
    const n = await startDemoNode(name, { etcd: etcd.url, dir: run.dir, admin: adminOf(o.admin, i), token: o.token });
    run.procs.push(n.proc);
    return { name, adminUrl: n.url, pid: n.proc.pid };
  }));
  const doc = demoConfig("127.0.0.1", 0, run.backends.slice(0, 3).map((b) => b.address));
  const res = await fetch(`${nodes[0]!.adminUrl}/v1/config?wait=applied&timeout_ms=10000`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...authHeaders(o.token) },
    body: JSON.stringify(doc),
  });
  const body = (await res.json()) as { wait?: { applied: string[] }; error?: { message: string } };
  if (!res.ok || body.wait?.applied.length !== o.nodes) {
    throw new LbError("INTERNAL", `the demo config did not reach every node: ${JSON.stringify(body)}`);
  }
  const withProxy = await Promise.all(nodes.map(async (n) => ({ ...n, proxyUrl: await proxyOf(n.adminUrl, o.token) })));
  return { etcd, nodes: withProxy };
}

/** The node's demo listener, as bound (its port is the node's own: each node binds port 0). */
async function proxyOf(adminUrl: string, token: string | undefined): Promise<string> {
  const st = (await (await fetch(`${adminUrl}/v1/status`, { headers: authHeaders(token) })).json()) as { listeners: { name: string; address: string }[] };
  const l = st.listeners.find((x) => x.name === DEMO_NAMES.listener);
  if (!l) throw new LbError("INTERNAL", `${adminUrl}: the demo listener is not bound`);
  return `http://${l.address}`;
}

/**
 * 20 requests a second, node after node; a failed one goes to the next node (as a client with
 * retries behind DNS or ECMP would). Says when a node starts failing and when it answers again,
 * and every request no node could answer.
 */
function startClient(nodes: readonly { name: string; proxyUrl: string }[]) {
  let sent = 0;
  let failed = 0;
  let running = true;
  const failing = new Set<string>();
  const once = async (i: number): Promise<void> => {
    sent++;
    for (let k = 0; k < nodes.length; k++) {
      const n = nodes[(i + k) % nodes.length]!;
      try {
        const res = await fetch(`${n.proxyUrl}/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status < 500) {
          if (failing.delete(n.name)) say(`client: ${n.name} answers again`);
          return;
        }
      } catch {
        // this node failed: the next one
      }
      if (!failing.has(n.name)) {
        failing.add(n.name);
        say(`client: ${n.name} failed; its requests go to the next node (${sent} sent so far, ${failed} lost)`);
      }
    }
    failed++;
    say(`client: a request failed on every node (${sent} sent, ${failed} lost)`);
  };
  void (async () => {
    for (let i = 0; running; i++) {
      void once(i);
      await Bun.sleep(50);
    }
  })();
  return {
    stop: () => {
      running = false;
      return { sent, failed };
    },
  };
}

async function stopAll(run: Running): Promise<void> {
  run.stopping = true;
  const totals = run.client?.stop();
  if (totals) console.log(`client: ${totals.sent} requests sent, ${totals.failed} failed`);
  // Nodes first (their leases are revoked), etcd last.
  for (const p of [...run.procs].reverse()) await p.stop();
  for (const b of run.backends) b.stop();
  rmSync(run.dir, { recursive: true, force: true });
}

/** Runs the cluster demo until SIGTERM/SIGINT; resolves to the exit code only on a startup failure. */
export async function clusterDemo(o: ClusterDemoOptions): Promise<number> {
  const run: Running = { dir: mkdtempSync(join(tmpdir(), "fulcrum-demo-cluster-")), procs: [], backends: [], stopping: false };
  let started: Awaited<ReturnType<typeof startAll>>;
  try {
    started = await startAll(o, run);
  } catch (e) {
    await stopAll(run);
    return reportError("demo", e);
  }
  run.client = startClient(started.nodes);
  console.log(clusterGuide({
    etcd: { url: started.etcd.url, pid: started.etcd.proc.pid },
    nodes: started.nodes,
    backends: run.backends.slice(0, 3),
    spare: run.backends[3]!,
    adminAuth: o.token !== undefined,
    key: KEY,
    dir: run.dir,
  }));
  for (const n of started.nodes) {
    const proc = run.procs.find((p) => p.pid === n.pid)!;
    void proc.exited.then((code) => {
      if (!run.stopping) say(`node ${n.name} (pid ${n.pid}) exited (${code}); the others carry on`);
    });
  }
  return await new Promise<number>(() => {
    const shutdown = (signal: string) => {
      console.log(`${signal}: stopping the demo`);
      void stopAll(run).then(() => {
        console.log("demo stopped");
        process.exit(0);
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
