/**
 * Real etcd members for tests: one member or a 3-member cluster on loopback ports picked free, each
 * with its own temp data dir, fast election flags and a 1 s progress-notify interval (ETCD-NOTES §5).
 * A member can be stopped, killed, frozen (SIGSTOP), resumed and restarted on the same data dir.
 * Every process is tracked by PID; stopAllEtcd() in afterAll kills what is left and removes the dirs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Fast but not flappy on a shared 2-core machine: a leader in ~0.3 s, no spurious elections. */
const FAST_FLAGS = ["--heartbeat-interval", "50", "--election-timeout", "500"];
export const PROGRESS_INTERVAL_MS = 1000;

/** One etcd member; `url` is its client URL (http://127.0.0.1:port). */
export interface EtcdMember {
  name: string;
  url: string;
  peerUrl: string;
  dataDir: string;
  pid(): number;
  running(): boolean;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** SIGSTOP: the process is frozen, its sockets stay open. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Starts the process again on the same data dir and ports (waits until the old one has exited). */
  restart(opts?: { waitHealthy?: boolean }): Promise<void>;
  /** Polls GET /health until {"health":"true"} (needs a leader and a committed proposal). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** `etcdctl snapshot save` of this (running) member into `path`. */
  saveSnapshot(path: string): Promise<void>;
  /**
   * Stops the member, replaces its data with `etcdctl snapshot restore` of `path` (same name, peer
   * URL and cluster token, so the same cluster ID: a restore from backup) and starts it again.
   */
  restoreSnapshot(path: string): Promise<void>;
}

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  initialCluster: string;
  token: string;
  extraArgs: string[];
}

const live = new Set<{ proc: Bun.Subprocess; member: EtcdMember }>();
const dirs = new Set<string>();

/**
 * Members left behind by a test process that died before its afterAll (a crash, a kill): each
 * member's cluster token names the test process that started it; a member whose test process is
 * gone is killed when this helper loads. bun test runs no exit handlers, so this is the safety net.
 */
function sweepOrphans(): void {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return; // no /proc: nothing to sweep
  }
  for (const pid of pids) {
    let args: string;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    } catch {
      continue; // exited meanwhile
    }
    const owner = /fulcrum-test-(\d+)-\d+/.exec(args)?.[1];
    if (!owner || !args.startsWith("etcd\0") || alive(Number(owner))) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
    const data = /--data-dir\0([^\0]+)\/data\0/.exec(args)?.[1];
    if (data?.includes("fulcrum-etcd-")) rmSync(data, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

sweepOrphans();

/** A free loopback TCP port (bound and released; the short race is acceptable in tests). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

function spawnMember(spec: MemberSpec, dataDir: string): Bun.Subprocess {
  const client = `http://127.0.0.1:${spec.clientPort}`;
  const peer = `http://127.0.0.1:${spec.peerPort}`;
  const args = [
    "etcd", "--name", spec.name, "--data-dir", join(dataDir, "data"),
    "--listen-client-urls", client, "--advertise-client-urls", client,
    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
    "--initial-cluster", spec.initialCluster, "--initial-cluster-token", spec.token,
    "--initial-cluster-state", "new",
    ...FAST_FLAGS,
    "--experimental-watch-progress-notify-interval", `${PROGRESS_INTERVAL_MS}ms`,
    ...spec.extraArgs,
  ];
  const log = Bun.file(join(dataDir, `etcd-${Date.now()}.log`));
  return Bun.spawn(args, { stdin: "ignore", stdout: log, stderr: log });
}

function makeMember(spec: MemberSpec): EtcdMember {
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-etcd-${spec.name}-`));
  dirs.add(dataDir);
  let proc = spawnMember(spec, dataDir);
  const entry = { proc, member: undefined as unknown as EtcdMember };
  const member: EtcdMember = {
    name: spec.name,
    url: `http://127.0.0.1:${spec.clientPort}`,
    peerUrl: `http://127.0.0.1:${spec.peerPort}`,
    dataDir,
    pid: () => proc.pid,
    running: () => proc.exitCode === null && proc.signalCode === null,
    async stop() {
      if (member.running()) {
        process.kill(proc.pid, "SIGCONT");
        process.kill(proc.pid, "SIGTERM");
      }
      await proc.exited;
    },
    async kill() {
      if (member.running()) process.kill(proc.pid, "SIGKILL");
      await proc.exited;
    },
    pause: () => {
      if (member.running()) process.kill(proc.pid, "SIGSTOP");
    },
    resume: () => {
      if (member.running()) process.kill(proc.pid, "SIGCONT");
    },
    async restart(opts = {}) {
      // ETCD-NOTES §5.2: never start on a data dir the old process may still hold.
      await member.kill();
      proc = spawnMember(spec, dataDir);
      entry.proc = proc;
      if (opts.waitHealthy ?? true) await member.waitHealthy();
    },
    waitHealthy: (timeoutMs = 15_000) => waitHealthy(member, timeoutMs),
    async saveSnapshot(path) {
      await run(["etcdctl", "--endpoints", member.url, "snapshot", "save", path], { ETCDCTL_API: "3" });
    },
    async restoreSnapshot(path) {
      await member.kill();
      rmSync(join(dataDir, "data"), { recursive: true, force: true });
      await run([
        "etcdctl", "snapshot", "restore", path, "--name", spec.name, "--data-dir", join(dataDir, "data"),
        "--initial-cluster", spec.initialCluster, "--initial-cluster-token", spec.token,
        "--initial-advertise-peer-urls", member.peerUrl,
      ], { ETCDCTL_API: "3" });
      proc = spawnMember(spec, dataDir);
      entry.proc = proc;
      await member.waitHealthy();
    },
  };
  entry.member = member;
  live.add(entry);
  return member;
}

async function run(cmd: string[], env: Record<string, string>): Promise<void> {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
  const code = await p.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd.slice(0, 3).join(" ")} failed (${code}): ${await new Response(p.stderr).text()}`);
}

async function waitHealthy(m: EtcdMember, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${m.url}/health`, { signal: AbortSignal.timeout(1000) })
      .then(async (r) => ((await r.json()) as { health?: string }).health === "true")
      .catch(() => false);
    if (ok) return;
    if (!m.running()) throw new Error(`etcd ${m.name} exited; log in ${m.dataDir}`);
    if (Date.now() > deadline) throw new Error(`etcd ${m.name} not healthy within ${timeoutMs} ms; log in ${m.dataDir}`);
    await Bun.sleep(20);
  }
}

/** Starts one member and waits until it is healthy. `extraArgs` go to etcd (e.g. --max-txn-ops). */
export async function startEtcd(extraArgs: string[] = []): Promise<EtcdMember> {
  const peerPort = freePort();
  const spec: MemberSpec = {
    name: "s1",
    clientPort: freePort(),
    peerPort,
    initialCluster: `s1=http://127.0.0.1:${peerPort}`,
    token: `fulcrum-test-${process.pid}-${peerPort}`,
    extraArgs,
  };
  const m = makeMember(spec);
  await m.waitHealthy();
  return m;
}

/** A 3-member cluster; resolves when every member is healthy. */
export async function startEtcdCluster(size = 3, extraArgs: string[] = []): Promise<EtcdMember[]> {
  const ports = Array.from({ length: size }, () => ({ client: freePort(), peer: freePort() }));
  const initialCluster = ports.map((p, i) => `m${i + 1}=http://127.0.0.1:${p.peer}`).join(",");
  const token = `fulcrum-test-${process.pid}-${ports[0]!.peer}`;
  const members = ports.map((p, i) =>
    makeMember({ name: `m${i + 1}`, clientPort: p.client, peerPort: p.peer, initialCluster, token, extraArgs }),
  );
  await Promise.all(members.map((m) => m.waitHealthy(30_000)));
  return members;
}

/** Kills every member these helpers started (by PID, frozen ones included) and removes their data dirs. */
export async function stopAllEtcd(): Promise<void> {
  const entries = [...live];
  live.clear();
  await Promise.all(entries.map((e) => e.member.kill()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
