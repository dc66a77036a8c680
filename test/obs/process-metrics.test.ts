/**
 * process_* read from this test process's own /proc/self, checked against what the runtime and the
 * kernel say by other routes (process.memoryUsage, process.cpuUsage, the fd folder, ulimit).
 */
import { expect, test } from "bun:test";
import { openSync, closeSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry, registerProcessMetrics } from "../../src/obs/index.ts";

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`${name} missing`);
  return Number(m[1]);
}

test("the six process_* series agree with the runtime's own figures", () => {
  const r = new Registry();
  expect(registerProcessMetrics(r)).toBe(true);
  const text = r.render();
  const rss = process.memoryUsage().rss;
  expect(Math.abs(sample(text, "process_resident_memory_bytes") - rss)).toBeLessThan(rss * 0.2);
  expect(sample(text, "process_virtual_memory_bytes")).toBeGreaterThan(rss);
  const cpu = process.cpuUsage();
  // /proc counts in 10 ms ticks; the runtime in microseconds
  expect(Math.abs(sample(text, "process_cpu_seconds_total") - (cpu.user + cpu.system) / 1e6)).toBeLessThan(0.5);
  const uptime = Date.now() / 1000 - performance.timeOrigin / 1000;
  expect(Math.abs(sample(text, "process_start_time_seconds") - performance.timeOrigin / 1000)).toBeLessThan(Math.max(2, uptime));
  expect(sample(text, "process_max_fds")).toBeGreaterThan(0);
});

test("process_open_fds follows descriptors opened and closed", () => {
  const r = new Registry();
  registerProcessMetrics(r);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-fds-"));
  try {
    const before = sample(r.render(), "process_open_fds");
    expect(Math.abs(before - readdirSync("/proc/self/fd").length)).toBeLessThanOrEqual(2);
    const fds = Array.from({ length: 10 }, (_, i) => openSync(join(dir, `f${i}`), "w"));
    expect(sample(r.render(), "process_open_fds")).toBe(before + 10);
    fds.forEach((fd) => closeSync(fd));
    expect(sample(r.render(), "process_open_fds")).toBe(before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without a readable /proc folder nothing is registered", () => {
  const r = new Registry();
  expect(registerProcessMetrics(r, "/nonexistent/proc/self")).toBe(false);
  expect(r.render()).toBe("");
});
