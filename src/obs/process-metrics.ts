/**
 * The standard `process_*` series every Prometheus client exports, read from /proc/self at scrape
 * time the way the Go client (prometheus/procfs) reads them: CPU time and start time from
 * /proc/self/stat in USER_HZ ticks (100 a second on every Linux ABI), virtual memory from the
 * same line, resident memory from /proc/self/status, open descriptors by listing /proc/self/fd,
 * their limit from /proc/self/limits. Where /proc is missing (not Linux) nothing is registered.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Registry } from "./registry.ts";

/** Linux reports process times to user space in USER_HZ ticks, fixed at 100 (procfs' userHZ). */
const USER_HZ = 100;

/** The fields of /proc/PID/stat after the command name, which may itself hold spaces or parentheses. */
function statFields(root: string): string[] {
  const text = readFileSync(`${root}/stat`, "latin1");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

// Indexes into statFields (proc(5) field number minus 3: the list starts at field 3, "state").
const UTIME = 11, STIME = 12, STARTTIME = 19, VSIZE = 20;

function statusKb(root: string, key: string): number {
  const m = new RegExp(`^${key}:\\s*(\\d+) kB`, "m").exec(readFileSync(`${root}/status`, "latin1"));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function maxFds(root: string): number {
  const m = /^Max open files\s+(\S+)/m.exec(readFileSync(`${root}/limits`, "latin1"));
  if (!m) return Number.NaN;
  return m[1] === "unlimited" ? Infinity : Number(m[1]);
}

/** Seconds since the epoch at which the machine booted (`btime` of /proc/stat). */
function bootTime(): number {
  const m = /^btime (\d+)/m.exec(readFileSync("/proc/stat", "latin1"));
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * Registers process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds and process_start_time_seconds
 * on `registry`, read from `root` (default /proc/self) at each scrape. Returns false, registering
 * nothing, where that folder cannot be read.
 */
export function registerProcessMetrics(registry: Registry, root = "/proc/self"): boolean {
  let start: number;
  try {
    start = bootTime() + Number(statFields(root)[STARTTIME]) / USER_HZ;
  } catch {
    return false; // no procfs here: the Go client also leaves these out
  }
  registry.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", [], (c) => {
    const f = statFields(root);
    c.set((Number(f[UTIME]) + Number(f[STIME])) / USER_HZ);
  });
  registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [], (g) => g.set(statusKb(root, "VmRSS")));
  registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", [], (g) => g.set(Number(statFields(root)[VSIZE])));
  registry.gauge("process_open_fds", "Number of open file descriptors.", [], (g) => g.set(readdirSync(`${root}/fd`).length));
  registry.gauge("process_max_fds", "Maximum number of open file descriptors.", [], (g) => g.set(maxFds(root)));
  registry.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", [], (g) => g.set(start));
  return true;
}
