/**
 * A real `fulcrum start` process for resilience tests: started from a config object in a fresh
 * temp folder, with helpers to read /v1/status, find a listener's bound port, call the admin API
 * and wait (bounded) for a condition.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFulcrum, type StartedNode } from "../../helpers/process.ts";

export interface ResilienceNode {
  proc: StartedNode;
  url: string;
  /** GET /v1/status as JSON. */
  status(): Promise<any>;
  /** The bound port of listener `name`. */
  port(name: string): Promise<number>;
  /** The status entry of one backend. */
  backend(pool: string, address: string): Promise<any>;
  /** A JSON admin call; returns the response. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Kills the process (SIGKILL) if still running and removes the temp folder. */
  stop(): Promise<void>;
}

/** Starts a node on `config` (extra CLI args after). */
export async function startNode(config: unknown, extraArgs: string[] = []): Promise<ResilienceNode> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-res-"));
  writeFileSync(join(dir, "fulcrum.json"), JSON.stringify(config));
  const proc = await startFulcrum(["--config", join(dir, "fulcrum.json"), "--db", join(dir, "fulcrum.db"), ...extraArgs]);
  const url = proc.url;
  const status = async (): Promise<any> => await (await fetch(`${url}/v1/status`)).json();
  return {
    proc,
    url,
    status,
    async port(name) {
      const st = await status();
      const l = st.listeners.find((x: any) => x.name === name);
      if (!l) throw new Error(`listener ${name} not in status: ${JSON.stringify(st.listeners)}`);
      return Number(String(l.address).split(":").pop());
    },
    async backend(pool, address) {
      const st = await status();
      return st.pools.find((p: any) => p.name === pool)?.backends.find((b: any) => b.address === address);
    },
    admin: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async stop() {
      await proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `cond` every `everyMs` until true; returns the ms it took, throws after `timeoutMs`. */
export async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 20): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await cond()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(everyMs);
  }
}
