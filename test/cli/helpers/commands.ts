/**
 * Helpers for running the commands the README, `--help` and the demo print exactly as printed:
 * extract them from README.md, make a throwaway checkout to run them in, and run them in a
 * private network namespace (`unshare -rn`), where the README's fixed ports (9901, 8080, 9001...)
 * are free whatever else runs on this machine. Every process started here is in its own process
 * group, stopped by that group's id, and killed in `close()` if still running.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..", "..");

/** Words that start a command in README prose (inline code); other inline code is a name or a value. */
const COMMAND_WORDS = new Set(["npm", "npx", "bun", "curl", "python3", "fulcrum", "./fulcrum", "./dist/fulcrum", "sysctl", "kill", "cp"]);

/** True for synopsis text rather than a command: brackets, "...", or an ALLCAPS placeholder (ARGS, FILE). */
function isSynopsis(s: string): boolean {
  return /[[\]]|\.\.\.|\b[A-Z]{3,}\b/.test(s);
}

/** The commands of README.md: each line of a ```sh block (comments cut), then each inline command, in order. */
export function readmeCommands(text: string): { blocks: string[]; inline: string[] } {
  const blocks: string[] = [];
  const inline: string[] = [];
  const prose = text.replace(/```sh\n([\s\S]*?)```/g, (_m, body: string) => {
    for (const raw of body.replace(/\\\n\s*/g, "").split("\n")) {
      const line = raw.replace(/\s+#\s.*$/, "").trim();
      if (line !== "" && !line.startsWith("#")) blocks.push(line);
    }
    return "";
  });
  for (const m of prose.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`\n]+)`/g)) {
    const span = m[1]!.trim();
    if (COMMAND_WORDS.has(span.split(/\s+/)[0]!) && span.includes(" ") && !isSynopsis(span)) inline.push(span);
  }
  return { blocks, inline };
}

/** The ```yaml block of README.md (the tour's fulcrum.yaml). */
export function readmeYaml(text: string): string {
  const m = /```yaml\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error("README.md has no ```yaml block");
  return m[1]!;
}

/**
 * A throwaway checkout in a temp folder: sources, build scripts and the built WASM copied (with
 * their times, so the build sees them up to date), node_modules and test/ linked. Commands that
 * write (fulcrum.db, dist/, running.yaml) write there.
 */
export function makeCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-checkout-"));
  for (const name of ["package.json", "package-lock.json", "asconfig.json", "tsconfig.json", "bunfig.toml", "README.md", "src", "assembly"]) {
    cpSync(join(ROOT, name), join(dir, name), { recursive: true, preserveTimestamps: true });
  }
  mkdirSync(join(dir, "build"));
  for (const f of readdirSync(join(ROOT, "build"))) {
    if (/\.(ts|wasm|wat)$/.test(f)) cpSync(join(ROOT, "build", f), join(dir, "build", f), { preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  symlinkSync(join(ROOT, "test"), join(dir, "test"));
  return dir;
}

/** What a finished command left. */
export interface Ran {
  code: number;
  out: string;
  err: string;
}

/** A command left running in the background (a node, a demo, a backend). */
export interface Background {
  readonly pid: number;
  /** The command's own exit (its backgrounded children may live on in its group). */
  readonly exited: Promise<number>;
  out(): string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Signals the whole process group (as Ctrl-C does a terminal's) and waits; SIGKILL after `ms`. Resolves to the exit code. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number>;
}

/** The environment of a fresh shell: no FULCRUM_* settings, no npm_* left by an outer `npm test`; Bun on PATH ("with Bun already installed"). */
function freshEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("FULCRUM_") || k.startsWith("npm_") || k === "INIT_CWD") continue;
    env[k] = v;
  }
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ""}`;
  env.npm_config_update_notifier = "false";
  return env;
}

/** Runs shell commands in one private network namespace, in folder `cwd`. */
export class Sandbox {
  readonly #holder: Bun.Subprocess;
  readonly #groups = new Set<number>();
  readonly #env = freshEnv();

  private constructor(
    readonly cwd: string,
    holder: Bun.Subprocess,
  ) {
    this.#holder = holder;
  }

  /** True where unprivileged (or root) network namespaces can be made. */
  static available(): boolean {
    return Bun.spawnSync(["unshare", "-rn", "true"], { stderr: "ignore" }).exitCode === 0;
  }

  /** Makes the namespace (loopback up) for commands run in `cwd`. */
  static async open(cwd: string): Promise<Sandbox> {
    const holder = Bun.spawn(["unshare", "-rn", "sleep", "900"], { stdout: "ignore", stderr: "ignore" });
    const box = new Sandbox(cwd, holder);
    const deadline = Date.now() + 5000;
    while ((await box.#raw(["ip", "link", "set", "lo", "up"])).code !== 0) {
      if (Date.now() > deadline) throw new Error("could not bring up loopback in the namespace");
      await Bun.sleep(50);
    }
    return box;
  }

  #enter(): string[] {
    return ["nsenter", "-t", String(this.#holder.pid), "-n", "-U", "--preserve-credentials"];
  }

  async #raw(argv: string[], timeoutMs = 60_000): Promise<Ran> {
    const proc = Bun.spawn([...this.#enter(), ...argv], { cwd: this.cwd, env: this.#env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    return { code, out, err };
  }

  /** Runs `cmd` with bash as written and waits for it (bounded). */
  sh(cmd: string, timeoutMs = 60_000): Promise<Ran> {
    return this.#raw(["bash", "-c", cmd], timeoutMs);
  }

  /** Starts `cmd` with bash in its own process group and leaves it running. */
  bg(cmd: string): Background {
    const proc = Bun.spawn([...this.#enter(), "setsid", "bash", "-c", cmd], { cwd: this.cwd, env: this.#env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const pid = proc.pid;
    this.#groups.add(pid);
    let text = "";
    const decoder = new TextDecoder();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) text += decoder.decode(c, { stream: true });
    };
    const drained = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
    const groups = this.#groups;
    return {
      pid,
      exited: proc.exited,
      out: () => text,
      async waitFor(re, ms = 20_000) {
        const deadline = Date.now() + ms;
        for (;;) {
          const m = text.match(re);
          if (m) return m;
          if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no ${re} from \`${cmd}\` within ${ms} ms (exit ${proc.exitCode}):\n${text}`);
          await Bun.sleep(25);
        }
      },
      async stop(signal = "SIGINT", ms = 15_000) {
        const kill = (s: NodeJS.Signals) => {
          try {
            process.kill(-pid, s);
          } catch {
            // The group is gone already.
          }
        };
        const alive = () => {
          try {
            process.kill(-pid, 0);
            return true;
          } catch {
            return false;
          }
        };
        kill(signal);
        const timer = setTimeout(() => kill("SIGKILL"), ms);
        const code = await proc.exited;
        // npm exits on the signal before its child has finished: wait for the whole group.
        const deadline = Date.now() + ms;
        while (alive() && Date.now() < deadline) await Bun.sleep(25);
        clearTimeout(timer);
        kill("SIGKILL");
        groups.delete(pid);
        await drained;
        return code;
      },
    };
  }

  /** Polls `curl` inside the namespace until `url` answers (any HTTP status), bounded. */
  async until(url: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while ((await this.#raw(["curl", "-s", "-o", "/dev/null", "-m", "2", url], 5000)).code !== 0) {
      if (Date.now() > deadline) throw new Error(`${url} never answered within ${ms} ms`);
      await Bun.sleep(100);
    }
  }

  /** Kills every process group still running, then the namespace. */
  close(): void {
    for (const pid of this.#groups) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    this.#groups.clear();
    this.#holder.kill("SIGKILL");
  }
}

/** Removes a checkout made by makeCheckout. */
export function removeCheckout(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
