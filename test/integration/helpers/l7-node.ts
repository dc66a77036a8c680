/**
 * Helpers for L7 end-to-end tests: tagged HTTP backends on loopback (Bun.serve, an HTTP stack
 * independent of Fulcrum's codec) that echo what they received, a real `fulcrum start` node run
 * from a config file in a temp folder, and small bounded clients (fetch with a Host header, raw
 * sockets). Every node goes through test/helpers/process.ts so killAll() ends it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { startFulcrum, type StartedNode } from "../../helpers/process.ts";

/** What a tagged backend saw of one request. */
export interface Seen {
  backend: string;
  method: string;
  /** Path and query as received. */
  target: string;
  headers: Record<string, string>;
  body: string;
}

/** A tagged backend: answers with `x-backend: <name>` and a JSON Seen (or `handler`'s response). */
export interface Backend {
  name: string;
  address: string;
  port: number;
  server: Server<unknown>;
  /** Requests received so far. */
  hits: number;
  stop(): void;
}

/** Starts a Bun.serve backend named `name`; `handler` may answer instead (return undefined to echo). */
export function backend(name: string, handler?: (req: Request, b: Backend) => Response | Promise<Response> | undefined): Backend {
  const b = { name, hits: 0 } as Backend;
  b.server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req) {
      b.hits++;
      const custom = handler ? await handler(req, b) : undefined;
      if (custom) {
        custom.headers.set("x-backend", name);
        return custom;
      }
      const u = new URL(req.url);
      const seen: Seen = {
        backend: name,
        method: req.method,
        target: u.pathname + u.search,
        headers: Object.fromEntries(req.headers.entries()),
        body: req.method === "GET" || req.method === "HEAD" ? "" : await req.text(),
      };
      return Response.json(seen, { headers: { "x-backend": name } });
    },
  });
  b.port = b.server.port!;
  b.address = `127.0.0.1:${b.port}`;
  b.stop = () => b.server.stop(true);
  return b;
}

/** An address on loopback where nothing listens (bound then closed). */
export function deadAddress(): string {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return `127.0.0.1:${port}`;
}

/** A running node with its temp folder and helpers bound to it. */
export interface L7Node {
  node: StartedNode;
  dir: string;
  /** The bound port of listener `name` (from /v1/status). */
  port(name: string): number;
  status(): Promise<any>;
  metrics(): Promise<string>;
}

const dirs = new Set<string>();

/** A temp folder removed by removeTempDirs(). */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "fulcrum-l7-"));
  dirs.add(d);
  return d;
}

/** Removes every folder tempDir() made (call in afterAll, after killAll). */
export function removeTempDirs(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Writes `config` to a temp file and runs `fulcrum start` on it; `dir` reuses a folder; `args` are added (e.g. --workers 1). */
export async function startNode(config: unknown, dir = tempDir(), args: string[] = [], env: Record<string, string> = {}): Promise<L7Node> {
  const file = join(dir, `fulcrum-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const node = await startFulcrum(["--config", file, "--db", `${file}.db`, ...args], env);
  const status = async (): Promise<any> => await (await fetch(`${node.url}/v1/status`)).json();
  const st = await status();
  const ports = new Map<string, number>();
  for (const l of st.listeners) ports.set(l.name, Number(String(l.address).split(":").pop()));
  return {
    node,
    dir,
    port(name) {
      const p = ports.get(name);
      if (!p) throw new Error(`listener ${name} not in /v1/status`);
      return p;
    },
    status,
    metrics: async () => await (await fetch(`${node.url}/metrics`)).text(),
  };
}

/** fetch through the node: `http://127.0.0.1:PORT/path` with an optional Host and a 5 s bound. */
export async function call(port: number, path: string, init: RequestInit & { host?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.host) headers.set("host", init.host);
  return await fetch(`http://127.0.0.1:${port}${path}`, {
    redirect: "manual",
    ...init,
    headers,
    signal: init.signal ?? AbortSignal.timeout(5000),
  });
}

/** The JSON a tagged echo backend returned (throws with the body when it is not JSON). */
export async function seen(res: Response): Promise<Seen> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Seen;
  } catch {
    throw new Error(`not an echo (status ${res.status}): ${text.slice(0, 200)}`);
  }
}

/** Counts `n` requests by the answering backend (x-backend), sequentially. */
export async function spread(n: number, send: (i: number) => Promise<Response>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await send(i);
    await res.arrayBuffer();
    const b = res.headers.get("x-backend") ?? `status-${res.status}`;
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return counts;
}

/** A pool document over `backends`. */
export function pool(name: string, backends: Backend[] | string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, ...extra, backends: backends.map((b) => ({ address: typeof b === "string" ? b : b.address })) };
}

/** Polls `cond` every 20 ms until true or `timeoutMs` passes (then throws). */
export async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

/** The value of a Prometheus series line `name{labels}` (labels written exactly as exposed), or 0. */
export function metric(text: string, series: string): number {
  for (const line of text.split("\n")) {
    if (line.startsWith(series + " ")) return Number(line.slice(series.length + 1));
  }
  return 0;
}
