/**
 * Helpers to run the real program (`bun src/main.ts ...`) from tests: spawn it, collect its
 * output, wait (bounded) for a line, start a node on a free loopback port and learn the port from
 * its banner, and kill it by PID. Every process started here is tracked; killAll() ends the
 * leftovers in afterAll so a failing test never leaves one behind.
 */
import { join } from "node:path";
import { ALLOCATOR_ENV } from "../../src/cli/allocator-env.ts";

const ROOT = join(import.meta.dir, "..", "..");
const MAIN = join(ROOT, "src", "main.ts");
const live = new Set<Running>();

/** A spawned `fulcrum` process with its output so far. */
export interface Running {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  pid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `re` on stdout+stderr, or rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGKILL) and waits for exit; resolves to the exit code. */
  kill(signal?: NodeJS.Signals | number): Promise<number | null>;
  exited: Promise<number>;
}

async function drain(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink.text += decoder.decode(chunk, { stream: true });
}

/** Variables that would change what a test process does; tests set them explicitly or not at all. */
const HERMETIC = ["FULCRUM_ADMIN_TOKEN", "FULCRUM_DB", "FULCRUM_ADMIN"];

/**
 * The environment of a spawned node: this one's, FULCRUM_* settings cleared, the allocator
 * settings every launcher gives Bun (src/cli/allocator-env.ts) unless set already, then `env`
 * (a key given as undefined is left out).
 */
export function environment(env: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string | undefined> = { ...ALLOCATOR_ENV, ...process.env };
  for (const k of HERMETIC) delete merged[k];
  Object.assign(merged, env);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Spawns `bun [...bunArgs] src/main.ts ...args` with `env` added to the environment (see
 * `environment`); `bunArgs` are Bun's own flags, `--preload FILE` say.
 */
export function spawnFulcrum(args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT, bunArgs: string[] = []): Running {
  const proc = Bun.spawn([process.execPath, ...bunArgs, MAIN, ...args], {
    cwd,
    env: environment(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = { text: "" };
  const err = { text: "" };
  const drained = Promise.all([drain(proc.stdout, out), drain(proc.stderr, err)]);
  const running: Running = {
    proc,
    pid: proc.pid,
    stdout: () => out.text,
    stderr: () => err.text,
    exited: proc.exited.then(async (code) => {
      await drained;
      live.delete(running);
      return code;
    }),
    async waitFor(re, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = (out.text + err.text).match(re);
        if (m) return m;
        if (Date.now() > deadline || proc.exitCode !== null) {
          throw new Error(`no ${re} within ${timeoutMs} ms (exit ${proc.exitCode}); stdout:\n${out.text}\nstderr:\n${err.text}`);
        }
        await Bun.sleep(20);
      }
    },
    async kill(signal = "SIGKILL") {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, signal);
      await running.exited;
      return proc.exitCode;
    },
  };
  live.add(running);
  return running;
}

/** Runs `bun src/main.ts ...args` to completion (bounded by `timeoutMs`). */
export async function runFulcrum(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 20_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = spawnFulcrum(args, env);
  const timer = setTimeout(() => void r.kill(), timeoutMs);
  const code = await r.exited;
  clearTimeout(timer);
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** A started node: its process and the admin base URL read from its banner. */
export interface StartedNode extends Running {
  url: string;
}

/** Starts `fulcrum start --admin 127.0.0.1:0 ...args` and waits until its admin API answers. */
export async function startFulcrum(args: string[], env: Record<string, string | undefined> = {}, bunArgs: string[] = []): Promise<StartedNode> {
  const r = spawnFulcrum(["start", "--admin", "127.0.0.1:0", ...args], env, ROOT, bunArgs);
  const m = await r.waitFor(/admin listening on (http:\/\/[^\s"]+)/);
  const url = m[1];
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then((res) => res.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${url}/healthz never answered`);
    await Bun.sleep(20);
  }
  return Object.assign(r, { url });
}

/** Kills (SIGKILL) every process these helpers started that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((r) => r.kill("SIGKILL")));
}
