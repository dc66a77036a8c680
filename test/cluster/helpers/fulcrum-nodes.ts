/**
 * Real `fulcrum start --cluster` processes for the cluster's end-to-end tests, with test-sized
 * timings (a 2 s lease, etcd's 1 s progress notifications, 2 s for an etcd call). Each node runs
 * through test/helpers/process.ts, so killAll() ends it; each keeps its --db across restarts, so a
 * restarted node starts from its mirror. Small JSON helpers read and write its admin API.
 */
import { join } from "node:path";
import { runFulcrum, spawnFulcrum, type Running } from "../../helpers/process.ts";
import { PROGRESS_INTERVAL_MS } from "./etcd.ts";
import { until } from "./mirrors.ts";

export const LEASE_TTL_S = 2;

/** The flags every test node runs with. */
export function clusterArgs(endpoints: readonly string[], name: string, dbPath: string, prefix: string): string[] {
  return [
    "--cluster", endpoints.join(","), "--node", name, "--db", dbPath, "--cluster-prefix", prefix,
    "--lease-ttl", String(LEASE_TTL_S), "--etcd-progress-ms", String(PROGRESS_INTERVAL_MS), "--etcd-timeout-ms", "2000",
  ];
}

/** A cluster node process and its admin API. */
export interface Node {
  name: string;
  url: string;
  dbPath: string;
  proc: Running;
  /** GET a JSON path of the admin API. */
  get(path: string): Promise<any>;
  /** A write (POST/PUT/PATCH/DELETE) with a JSON body; resolves to status, body and headers. */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** The bound port of listener `name` (from /v1/status). */
  port(listener: string): Promise<number>;
  /** SIGKILL (default) or another signal, waiting for the exit unless it is SIGSTOP/SIGCONT. */
  signal(sig: NodeJS.Signals): Promise<void>;
}

/** Starts `fulcrum start --cluster ...` for node `name` and waits until its admin API answers. */
export async function startNode(endpoints: readonly string[], name: string, dir: string, prefix: string, extra: string[] = []): Promise<Node> {
  const dbPath = join(dir, `${name}.db`);
  const proc = spawnFulcrum(["start", "--admin", "127.0.0.1:0", ...clusterArgs(endpoints, name, dbPath, prefix), ...extra]);
  const url = (await proc.waitFor(/admin listening on (http:\/\/[^\s"]+)/, 20_000))[1]!;
  await until(() => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 5000, `${name} /healthz`);
  return nodeAt(name, url, dbPath, proc);
}

function nodeAt(name: string, url: string, dbPath: string, proc: Running): Node {
  const node: Node = {
    name,
    url,
    dbPath,
    proc,
    get: async (path) => {
      const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) });
      return await res.json();
    },
    send: async (method, path, body, headers = {}) => {
      const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers }, signal: AbortSignal.timeout(15_000) };
      if (body !== undefined) init.body = JSON.stringify(body);
      const res = await fetch(`${url}${path}`, init);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    port: async (listener) => {
      const st = await node.get("/v1/status");
      const l = (st.listeners as { name: string; address: string; bound: boolean }[]).find((x) => x.name === listener);
      if (!l?.bound) throw new Error(`${name}: listener ${listener} not bound: ${JSON.stringify(st.listeners)}`);
      return Number(l.address.split(":").pop());
    },
    signal: async (sig) => {
      if (sig === "SIGSTOP" || sig === "SIGCONT") {
        if (proc.proc.exitCode === null) process.kill(proc.pid, sig);
        return;
      }
      await proc.kill(sig);
    },
  };
  return node;
}

/** Runs `fulcrum start --cluster ...` expecting it to fail; resolves to its exit code and output. */
export async function startFailing(endpoints: readonly string[], name: string, dbPath: string, prefix: string, timeoutMs = 15_000) {
  return runFulcrum(["start", "--admin", "127.0.0.1:0", ...clusterArgs(endpoints, name, dbPath, prefix)], {}, timeoutMs);
}

/** The /v1/cluster body of every node. */
export function clusters(nodes: readonly Node[]): Promise<any[]> {
  return Promise.all(nodes.map((n) => n.get("/v1/cluster")));
}

/** Waits until every node serves config revision `revision` (or a later one when `atLeast`). */
export async function untilServing(nodes: readonly Node[], revision: number, timeoutMs = 10_000): Promise<void> {
  await until(async () => (await Promise.all(nodes.map((n) => n.get("/v1/status")))).every((s) => s.revision === revision), timeoutMs, `every node serving revision ${revision}`);
}

/** Polls `fn` until it stops throwing (a group of expects), or rethrows its last error after `timeoutMs`. */
export async function eventually(fn: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await Bun.sleep(50);
    }
  }
}
