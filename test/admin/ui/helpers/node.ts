/**
 * A real node for the dashboard tests: real HTTP backends on loopback, `fulcrum start` with a
 * config file and an admin token file in a temp folder (the process is tracked by
 * test/helpers/process.ts, so killAll() ends it), and a token-bearing client for its admin API.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFulcrum, type StartedNode } from "../../../helpers/process.ts";
import { backend, tempDir, type Backend } from "../../../integration/helpers/l7-node.ts";

export const TOKEN = "dashboard-test-token-0123456789";

export interface DashboardNode {
  node: StartedNode;
  url: string;
  /** app: a, b, c (round robin, http checks every 300 ms); hash: a, b (Maglev); web (http) and raw (tcp). */
  a: Backend;
  b: Backend;
  c: Backend;
  /** A call to the admin API with the token. */
  admin(path: string, init?: RequestInit): Promise<any>;
  /** The bound port of a listener. */
  port(listener: string): Promise<number>;
  stop(): void;
}

export const HEALTH_INTERVAL_MS = 300;

/** Starts the node; `handler` answers for the backends (default: a short hello). */
export async function startDashboardNode(handler?: (req: Request, b: Backend) => Response | Promise<Response>): Promise<DashboardNode> {
  const [a, b, c] = ["a", "b", "c"].map((name) => backend(name, handler ?? (() => new Response(`hello from ${name}`))));
  const config = {
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
        routes: [{ name: "api", match: { path_prefix: "/api", methods: ["GET"] }, pool: "hash" }, { name: "site", match: { host: "www.example.com" }, pool: "app" }] },
      { name: "raw", protocol: "tcp", address: "127.0.0.1:0", pool: "hash" },
    ],
    pools: [
      { name: "app", algorithm: "round_robin",
        health_check: { type: "http", path: "/", interval_ms: HEALTH_INTERVAL_MS, timeout_ms: 200, healthy_threshold: 1, unhealthy_threshold: 1 },
        backends: [a, b, c].map((x) => ({ address: x!.address })) },
      { name: "hash", algorithm: "maglev", table_size: 251, backends: [a, b].map((x) => ({ address: x!.address })) },
    ],
  };
  const dir = tempDir();
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  const node = await startFulcrum(["--config", join(dir, "config.json"), "--db", join(dir, "fulcrum.db"), "--admin-token-file", join(dir, "token")]);
  const admin = async (path: string, init: RequestInit = {}): Promise<any> => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${TOKEN}`);
    const res = await fetch(`${node.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(5000) });
    return await res.json();
  };
  return {
    node, url: node.url, a: a!, b: b!, c: c!, admin,
    async port(listener) {
      const st = await admin("/v1/status");
      return Number(String(st.listeners.find((l: any) => l.name === listener).address).split(":").pop());
    },
    stop() {
      for (const x of [a, b, c]) x!.stop();
    },
  };
}
