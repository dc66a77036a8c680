/**
 * The tail benches' parts that can be checked quickly: the open-loop generator paces and answers
 * every request against a real backend, page faults are counted for a live process, a real JSC
 * collection log is read, and the rounds' arithmetic (rotation, medians, per-round ratios).
 */
import { afterAll, expect, test } from "bun:test";
import { fixedBackend } from "../../helpers/load.ts";
import { countCpu } from "./cpu.ts";
import { countFaults, procFaults } from "./faults.ts";
import { busiestHeap, summarizeGc } from "./gc-log.ts";
import { openLoop } from "./open-loop.ts";
import { median, rotate, roundRatios, type RoundResults } from "./rounds.ts";

const backend = fixedBackend("x".repeat(128));
afterAll(() => backend.stop(true));

test("the open-loop generator sends every request due at its rate and times each from when it was due", async () => {
  const f = await openLoop(backend.port, 500, 1, 4);
  expect(f.sent).toBe(500);
  expect(f.completed).toBe(500);
  expect(f.errors).toBe(0);
  expect(f.p50).toBeGreaterThan(0);
  expect(f.p99).toBeGreaterThanOrEqual(f.p50);
  expect(f.p999).toBeGreaterThanOrEqual(f.p99);
  expect(f.max).toBeGreaterThanOrEqual(f.p999);
}, 30_000);

test("page faults of a live process are counted over a window", async () => {
  const w = countFaults(process.pid);
  const before = procFaults(process.pid);
  const touched = new Uint8Array(16 << 20).fill(1); // 4,096 fresh pages
  expect(procFaults(process.pid) - before).toBeGreaterThanOrEqual(1000);
  await Bun.sleep(50);
  expect(await w.stop()).toBeGreaterThanOrEqual(1000);
  expect(touched[0]).toBe(1);
});

test("rounds rotate their order, and ratios pair the same round's runs", () => {
  expect(rotate(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
  expect(rotate(["a", "b", "c"], 4)).toEqual(["b", "c", "a"]);
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  const run = (p99Ms: number) => ({ p99Ms, rps: 1, faultsPerRequest: null, cpuUsPerRequest: null, userUsPerRequest: null, gc: null, requests: 1, errors: [] });
  const res: RoundResults = new Map([["ours", [run(2), run(6)]], ["theirs", [run(4), run(3)]]]);
  expect(roundRatios(res, "ours", "theirs", (f) => f.p99Ms)).toEqual([0.5, 2]);
  expect(roundRatios(res, "ours", "missing", (f) => f.p99Ms)).toEqual([]);
});

test("a real JSC collection log (BUN_JSC_logGC=1) reads as young and full collections with their stops", () => {
  // 64 KiB buffers, as a relayed body's packets, until young collections have run; then one full
  const script = "let keep = 0; for (let i = 0; i < 3000; i++) keep += new Uint8Array(65536)[0]; Bun.gc(true); console.log(keep);";
  const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, BUN_JSC_logGC: "1" }, stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  const log = r.stderr.toString();
  const heap = busiestHeap(log);
  expect(heap).not.toBeNull();
  const g = summarizeGc(log, heap!);
  expect(g.edens).toBeGreaterThanOrEqual(1);
  expect(g.fulls).toBeGreaterThanOrEqual(1);
  expect(g.pauseMs).toBeGreaterThan(0);
  expect(g.maxPauseMs).toBeLessThanOrEqual(g.pauseMs);
  expect(g.lastAfterKb).toBeGreaterThan(0);
  // a window holds only the cycles that ended in it
  const lastEnd = log.lastIndexOf("END]");
  expect(summarizeGc(log.slice(lastEnd), heap!)).toMatchObject({ edens: 0, fulls: 0, pauseMs: 0 });
  expect(busiestHeap("no collections here")).toBeNull();
}, 30_000);

test("a process's CPU window grows with the work it does, in microseconds", () => {
  const w = countCpu(process.pid);
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < 50) x += Math.sqrt(x + 1);
  const { cpuUs, userUs } = w.stop();
  expect(x).toBeGreaterThan(0);
  expect(cpuUs).toBeGreaterThan(30_000);
  expect(cpuUs).toBeLessThan(1_000_000);
  expect(userUs).toBeGreaterThanOrEqual(0);
});
