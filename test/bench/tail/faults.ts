/**
 * Page faults of a running process over a window: `perf stat -e page-faults -p PID` (the issue's
 * measure) when perf is installed and allowed, else the process's own counters in /proc/PID/stat
 * (minor + major faults of all its threads), which count the same events.
 */
import { readFileSync } from "node:fs";

/** A window being counted; `stop()` ends it and resolves with the faults seen in it. */
export interface FaultWindow {
  stop(): Promise<number>;
}

/** Minor + major faults of every thread of `pid` so far, from /proc/PID/stat. */
export function procFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at state: minflt is field 10, majflt 12.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[7]) + Number(f[9]);
}

let perfWorks: boolean | undefined;

/** True when `perf stat` can count this machine's page faults (installed, and perf_event_paranoid lets us). */
function perfAvailable(): boolean {
  if (perfWorks !== undefined) return perfWorks;
  if (Bun.which("perf") === null) return (perfWorks = false);
  const r = Bun.spawnSync(["perf", "stat", "-x,", "-e", "page-faults", "--", "true"], { stdout: "ignore", stderr: "pipe" });
  perfWorks = r.exitCode === 0 && /^\d+,/m.test(r.stderr.toString());
  return perfWorks;
}

/** Where the counts come from, for the bench's header line. */
export function faultSource(): string {
  return perfAvailable() ? "perf stat -e page-faults -p PID" : "/proc/PID/stat minflt+majflt (perf unavailable)";
}

function perfWindow(pid: number): FaultWindow {
  const proc = Bun.spawn(["perf", "stat", "-x,", "-e", "page-faults", "-p", String(pid)], { stdout: "ignore", stderr: "pipe" });
  return {
    async stop() {
      proc.kill("SIGINT");
      const guard = setTimeout(() => proc.kill("SIGKILL"), 5000);
      const err = await new Response(proc.stderr).text();
      await proc.exited;
      clearTimeout(guard);
      const m = /^(\d+),[^,]*,page-faults/m.exec(err);
      if (!m) throw new Error(`perf stat -p ${pid} printed no page-fault count:\n${err}`);
      return Number(m[1]);
    },
  };
}

/** Starts counting `pid`'s page faults. */
export function countFaults(pid: number): FaultWindow {
  if (perfAvailable()) return perfWindow(pid);
  const before = procFaults(pid);
  return { stop: async () => procFaults(pid) - before };
}
