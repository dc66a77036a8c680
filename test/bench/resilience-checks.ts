/**
 * Pieces of the resilience bench that measure what active checks cost: the 1,000-backend flock in
 * its own process, CPU readings from /proc, a keep-alive req/s run, and the CPU one probe costs.
 */
import { join } from "node:path";
import { httpCheck, resolveCheckSpec, tcpCheck, type HealthCheck } from "../../src/health/index.ts";
import { keepAliveRun } from "../integration/helpers-resilience/keepalive.ts";
import { readFirstJsonLine } from "../helpers/first-line.ts";

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The N-backend flock (flock.ts) in its own process, answering tcp checks or HTTP. */
export async function startFlock(n: number, mode: "tcp" | "http" = "tcp") {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "integration", "helpers-resilience", "flock.ts"), String(n), mode], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const { ports } = await readFirstJsonLine<{ ports: number[] }>(proc.stdout).catch((e: unknown) => {
    proc.kill(); // it never announced itself: stop it rather than leak it
    throw e;
  });
  return {
    ports,
    pid: proc.pid,
    set(state: "up" | "down") {
      proc.stdin.write(`${state}\n`);
      proc.stdin.flush();
    },
    async stop() {
      if (proc.exitCode === null) process.kill(proc.pid, "SIGKILL");
      await proc.exited;
    },
  };
}

/** utime + stime in clock ticks (100 Hz) of a process (`/proc/PID/stat`) or one thread (`/proc/PID/task/TID/stat`). */
async function cpuTicks(statPath: string): Promise<number> {
  const fields = (await Bun.file(statPath).text()).split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU time (user + system) process `pid` used over the next `ms`, as % of one core; with
 * `mainThreadOnly`, only its main thread's (the data plane's, in a node).
 */
export async function idleCpu(pid: number, ms: number, mainThreadOnly = false): Promise<number> {
  const path = mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const a = await cpuTicks(path);
  const t0 = performance.now();
  await Bun.sleep(ms);
  return ((await cpuTicks(path)) - a) / ((performance.now() - t0) / 1000);
}

/**
 * `rps` plus the CPU the node's data-plane (main) thread spent per request meanwhile, in µs: what
 * serving costs the data plane itself, apart from the CPU its neighbours take on a shared box.
 */
export async function rpsWithDataPlaneCpu(pid: number, port: number, conns: number, ms: number): Promise<{ rps: number; usPerRequest: number }> {
  const path = `/proc/${pid}/task/${pid}/stat`;
  const a = await cpuTicks(path);
  const t0 = performance.now();
  const rate = await rps(port, conns, ms);
  const secs = (performance.now() - t0) / 1000;
  const ticks = (await cpuTicks(path)) - a;
  return { rps: rate, usPerRequest: (ticks * 10_000) / (rate * secs) };
}

/** Requests per second over `ms` with `conns` keep-alive connections. */
export async function rps(port: number, conns: number, ms: number): Promise<number> {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: conns }, () => keepAliveRun(port, "/", ms)));
  const secs = (performance.now() - t0) / 1000;
  const bad = results.find((r) => r.dropped || [...r.statuses.keys()].some((s) => s !== 200));
  if (bad) throw new Error(`load run failed: ${bad.dropped ?? [...bad.statuses.entries()].join(",")}`);
  return results.reduce((a, r) => a + r.bodies.length, 0) / secs;
}

/**
 * CPU (user + system, this process, all threads) per probe of `check`: `n` probes over 20 flock
 * backends in a child process, 20 at a time, so the backends' side is not counted.
 */
async function cpuPerProbe(mode: "tcp" | "http", check: HealthCheck, n: number): Promise<number> {
  const flock = await startFlock(20, mode);
  try {
    const targets = flock.ports.map((port) => ({ key: `127.0.0.1:${port}`, host: "127.0.0.1", port }));
    const once = async (t: (typeof targets)[number]) => {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 1000);
      try {
        await check.check(t, ctl.signal);
      } finally {
        clearTimeout(timer);
      }
    };
    const round = (k: number) => Promise.all(targets.map(async (t) => { for (let i = 0; i < k; i++) await once(t); }));
    await round(10); // warm-up: JIT, and the kept connections opened
    const u0 = process.cpuUsage();
    await round(Math.ceil(n / targets.length));
    const u1 = process.cpuUsage(u0);
    for (const t of targets) check.release?.(t);
    return (u1.user + u1.system) / n;
  } finally {
    await flock.stop();
  }
}

/** Median CPU µs per probe for a tcp check, an http check on kept connections, and one per connection. */
export async function probeCosts(n = 4000, runs = 3): Promise<{ tcp: number; httpReuse: number; httpFresh: number }> {
  const samples = { tcp: [] as number[], httpReuse: [] as number[], httpFresh: [] as number[] };
  // Interleaved runs: the shared box's drift spreads over all three.
  for (let r = 0; r < runs; r++) {
    samples.tcp.push(await cpuPerProbe("tcp", tcpCheck({ expect: "UP" }), n));
    samples.httpReuse.push(await cpuPerProbe("http", httpCheck(resolveCheckSpec({ type: "http" })), n));
    samples.httpFresh.push(await cpuPerProbe("http", httpCheck(resolveCheckSpec({ type: "http", reuse_connection: false })), n));
  }
  return { tcp: median(samples.tcp), httpReuse: median(samples.httpReuse), httpFresh: median(samples.httpFresh) };
}
