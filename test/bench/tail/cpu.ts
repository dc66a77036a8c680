/**
 * CPU a process spent over a window, for the tail bench's CPU per request: every thread's on-CPU
 * time from /proc/PID/task/TID/schedstat (nanoseconds, so a 3 s run at -c1 is not read at the
 * 10 ms tick of /proc/PID/stat), and the user part from /proc/PID/stat's utime (ticks).
 */
import { readFileSync, readdirSync } from "node:fs";

/** On-CPU nanoseconds of every thread of `pid` so far (threads that ended are not counted). */
export function procCpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns;
}

/** User-mode CPU of `pid` (all threads) so far, in microseconds. */
export function procUserUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // after the command name: state is field 3, utime field 14
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) * 1e6) / 100;
}

/** A window's CPU: total (all threads, µs) and user (µs). */
export interface CpuWindow {
  stop(): { cpuUs: number; userUs: number };
}

export function countCpu(pid: number): CpuWindow {
  const ns0 = procCpuNs(pid), u0 = procUserUs(pid);
  return { stop: () => ({ cpuUs: (procCpuNs(pid) - ns0) / 1000, userUs: procUserUs(pid) - u0 }) };
}
