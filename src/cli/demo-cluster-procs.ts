/**
 * The processes `fulcrum demo --nodes N` runs beside itself: one local etcd (started the way the
 * README's "Run a cluster" asks: gRPC gateway on, progress notifications every 5 s, periodic
 * compaction) and N `fulcrum start --cluster` nodes of this very program. Each writes its output
 * to a log file in the demo's folder; each is stopped by its PID.
 */
import { join } from "node:path";
import { LbError } from "../errors.ts";
import { isCompiled } from "./self.ts";

/** A child process of the demo and where its output goes. */
export interface DemoProcess {
  pid: number;
  log: string;
  exited: Promise<number>;
  /** SIGTERM (default) and wait for the exit (bounded: SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** What `etcd` is missing from PATH costs: how to get it. */
export function etcdMissing(): LbError {
  return new LbError(
    "INVALID_ARGUMENT",
    "the cluster demo runs a local etcd, and `etcd` is not on PATH. Install it and try again: " +
      "Debian/Ubuntu: sudo apt-get install etcd-server etcd-client; macOS: brew install etcd; " +
      "elsewhere: a release from https://github.com/etcd-io/etcd/releases with `etcd` on PATH. " +
      "`fulcrum demo` without --nodes runs a single node and needs no etcd.",
  );
}

/** A free loopback port; `want` when it is free. */
export function freePort(want = 0): number {
  for (const port of want > 0 ? [want, 0] : [0]) {
    try {
      const l = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      const got = l.port;
      l.stop(true);
      return got;
    } catch {
      // taken: the OS picks one next
    }
  }
  throw new LbError("INTERNAL", "no free port on 127.0.0.1");
}

function spawnLogged(cmd: string[], log: string, env?: Record<string, string | undefined>): DemoProcess {
  const file = Bun.file(log);
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: file, stderr: file, env: env ?? process.env });
  return {
    pid: proc.pid,
    log,
    exited: proc.exited,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `ok` every 50 ms until true; throws `what` after `ms` or once `p` exited. */
async function until(ok: () => Promise<boolean>, ms: number, p: DemoProcess, what: string): Promise<void> {
  let done = false;
  void p.exited.then(() => (done = true));
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (done || Date.now() > deadline) {
      const tail = (await Bun.file(p.log).text().catch(() => "")).trim().split("\n").slice(-3).join(" | ");
      throw new LbError("INTERNAL", `${what}${tail ? `: ${tail}` : ""} (output in ${p.log})`);
    }
    await Bun.sleep(50);
  }
}

/** Starts etcd on 127.0.0.1 (client port 2379 when free) with data in `dir`; resolves once it is healthy. */
export async function startDemoEtcd(dir: string): Promise<{ url: string; proc: DemoProcess }> {
  const client = `http://127.0.0.1:${freePort(2379)}`;
  const peer = `http://127.0.0.1:${freePort()}`;
  const proc = spawnLogged([
    "etcd", "--name", "demo", "--data-dir", join(dir, "etcd"),
    "--listen-client-urls", client, "--advertise-client-urls", client,
    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", `demo=${peer}`,
    "--experimental-watch-progress-notify-interval", "5s",
    "--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1h",
  ], join(dir, "etcd.log"));
  const healthy = () => fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) }).then(async (r) => (await r.json() as { health?: string }).health === "true", () => false);
  try {
    await until(healthy, 15_000, proc, "etcd did not become healthy");
  } catch (e) {
    await proc.stop("SIGKILL");
    throw e;
  }
  return { url: client, proc };
}

/** This program as a command line: the binary, or bun and the entry file. */
function self(): string[] {
  return isCompiled() ? [process.execPath] : [process.execPath, Bun.main];
}

/** Starts node `name` of the demo cluster; resolves with its admin URL once it answers. */
export async function startDemoNode(
  name: string,
  o: { etcd: string; dir: string; admin: string; token?: string },
): Promise<{ url: string; proc: DemoProcess }> {
  const log = join(o.dir, `${name}.log`);
  const args = ["start", "--cluster", o.etcd, "--node", name, "--db", join(o.dir, `${name}.db`), "--admin", o.admin, "--lease-ttl", "2"];
  const proc = spawnLogged([...self(), ...args], log, { ...process.env, FULCRUM_CLUSTER: undefined, FULCRUM_NODE: undefined });
  let url = "";
  await until(async () => {
    url = /admin listening on (http:\/\/\S+)/.exec(await Bun.file(log).text().catch(() => ""))?.[1] ?? "";
    return url !== "" && (await fetch(`${url}/healthz`).then((r) => r.ok, () => false));
  }, 20_000, proc, `node ${name} did not start`);
  return { url, proc };
}
