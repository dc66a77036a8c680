/**
 * Child processes of the side-by-side bench: each is started with its output in a log file of the
 * run's temp dir, tracked, and stopped by its PID (SIGTERM, then SIGKILL after 3 s). Readiness is
 * "GET / answered 200", polled for a bounded time, failing early with the log if the process died.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startFulcrum, type StartedNode } from "../../helpers/process.ts";

/** A started process the bench owns. */
export interface Child {
  name: string;
  pid: number;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Its log so far (stdout + stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** Spawns `argv` with stdout and stderr in `dir`/`name`.log; `env` is its whole environment and `cwd` its directory (this process's by default). */
export function spawnChild(name: string, argv: string[], dir: string, env?: Record<string, string>, cwd?: string): Child {
  const logPath = join(dir, `${name}.log`);
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: Bun.file(logPath), stderr: Bun.file(`${logPath}.err`), env, cwd });
  const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "");
  return {
    name,
    pid: proc.pid,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    log: () => read(logPath) + read(`${logPath}.err`),
    stop: () => stopProc(proc),
  };
}

async function stopProc(proc: Bun.Subprocess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!done) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/**
 * Starts a Fulcrum node (`bun src/main.ts start --config FILE --db :memory: --admin 127.0.0.1:0
 * --workers N`, default 1), release WASM, with the allocator settings every launcher gives it
 * unless `env` says otherwise.
 */
export async function startFulcrumChild(configPath: string, env: Record<string, string> = {}, name = "fulcrum", workers = 1): Promise<Child & { node: StartedNode }> {
  const node = await startFulcrum(["--config", configPath, "--db", ":memory:", "--workers", String(workers)], { FULCRUM_WASM: "release", ...env });
  return {
    name,
    pid: node.pid,
    node,
    alive: () => node.proc.exitCode === null && node.proc.signalCode === null,
    log: () => node.stdout() + node.stderr(),
    async stop() {
      // SIGTERM drains; the bench has nothing in flight, so a bounded wait then SIGKILL is enough.
      const code = Promise.race([node.kill("SIGTERM"), Bun.sleep(5000).then(() => "late" as const)]);
      if ((await code) === "late") await node.kill("SIGKILL");
    },
  };
}

/** Resolves once `GET http://127.0.0.1:port/` answers 200; throws (with `child`'s log) after `ms`. */
export async function waitHttp200(port: number, child: Child, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!child.alive()) throw new Error(`${child.name} (pid ${child.pid}) exited before port ${port} answered:\n${child.log()}`);
    const signal = AbortSignal.timeout(1000);
    const status = await fetch(`http://127.0.0.1:${port}/`, { signal, headers: { connection: "close" } }).then(
      async (r) => (await r.arrayBuffer(), r.status),
      (e: unknown) => String(e),
    );
    if (status === 200) return;
    last = String(status);
    await Bun.sleep(50);
  }
  throw new Error(`port ${port} (${child.name}, pid ${child.pid}) never answered 200 within ${ms} ms (last: ${last}):\n${child.log()}`);
}

/** Resident set size of `pid` in KiB, from /proc/PID/status (VmRSS). */
export function vmRssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** The soft "Max open files" limit of `pid` ("self" for this process). */
export function openFilesLimit(pid: number | "self"): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
  if (!m) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return m[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(m[1]);
}
