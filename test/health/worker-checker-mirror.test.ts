import { afterAll, describe, expect, test } from "bun:test";
import { createHealthChecker, HealthChecker, resolveCheckSpec, WorkerHealthChecker } from "../../src/health/index.ts";

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

const stops: (() => void)[] = [];
afterAll(() => stops.forEach((s) => s()));

function listener(): { key: string; accepted: () => number } {
  let n = 0;
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open() { n++; }, data() {} } });
  stops.push(() => l.stop(true));
  return { key: `127.0.0.1:${l.port}`, accepted: () => n };
}

function deadKey(): string {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const key = `127.0.0.1:${l.port}`;
  l.stop(true);
  return key;
}

function worker(onPass?: (pool: string, backend: string) => void) {
  const flips: [string, string, boolean][] = [];
  const fallbacks: string[] = [];
  const checker = new WorkerHealthChecker((p, b, h) => flips.push([p, b, h]), onPass, { viewMs: 40, passMs: 20, onFallback: (r) => fallbacks.push(r) });
  stops.push(() => checker.stop());
  return { checker, flips, fallbacks };
}

describe("WorkerHealthChecker mirror", () => {
  test("answers synchronously from the spec's initial state, before the worker has said anything", () => {
    const { checker } = worker();
    const dead = deadKey();
    checker.setPool("opt", resolveCheckSpec({ type: "tcp", interval_ms: 1000 }), [dead]);
    checker.setPool("pes", resolveCheckSpec({ type: "tcp", interval_ms: 1000, initial: "pessimistic" }), [dead]);
    expect(checker.healthy("opt", dead)).toBe(true);
    expect(checker.healthy("pes", dead)).toBe(false);
    expect(checker.healthy("none", dead)).toBeUndefined();
    expect(checker.view().map((v) => [v.pool, v.healthy, v.checks])).toEqual([["opt", true, 0], ["pes", false, 0]]);
    checker.removePool("opt");
    expect(checker.healthy("opt", dead)).toBeUndefined();
    checker.stop();
    expect(checker.view()).toEqual([]);
  });

  test("a spec change keeps each backend's known health, and results from the old spec never land", async () => {
    const { checker, flips, fallbacks } = worker();
    const b = listener();
    checker.setPool("p", resolveCheckSpec({ type: "tcp", interval_ms: 20, jitter: 0, initial: "pessimistic", healthy_threshold: 1 }), [b.key]);
    await until(() => checker.healthy("p", b.key) === true, 3000);
    // The backend dies and the spec changes to one that cannot reach 5 failures in the next 150 ms:
    // the old spec (3 failures at 20 ms) would have flipped it by then if its probes still counted.
    stops.pop()!(); // the listener, started last
    checker.setPool("p", resolveCheckSpec({ type: "tcp", interval_ms: 1000, jitter: 0, initial: "pessimistic", unhealthy_threshold: 5 }), [b.key]);
    expect(checker.healthy("p", b.key)).toBe(true);
    await Bun.sleep(150);
    expect(checker.healthy("p", b.key)).toBe(true);
    expect(flips).toEqual([["p", b.key, true]]);
    expect(checker.offThread).toBe(true);
    expect(fallbacks).toEqual([]);
  });

  test("passing probes reach onPass, coalesced; the view carries check counts", async () => {
    const passes: string[] = [];
    const { checker } = worker((p, b) => passes.push(`${p} ${b}`));
    const b = listener();
    checker.setPool("p", resolveCheckSpec({ type: "tcp", interval_ms: 10, jitter: 0 }), [b.key]);
    await until(() => (checker.view()[0]?.checks ?? 0) >= 5 && passes.length >= 2, 3000);
    expect(new Set(passes)).toEqual(new Set([`p ${b.key}`]));
    // Coalesced: far fewer calls than probes.
    expect(passes.length).toBeLessThan(checker.view()[0]!.checks);
  });

  test("probes keep running while the data-plane thread is busy", async () => {
    const { checker } = worker();
    const b = listener();
    checker.setPool("p", resolveCheckSpec({ type: "tcp", interval_ms: 10, jitter: 0 }), [b.key]);
    await until(() => checker.view()[0]!.checks >= 3, 3000);
    // Block this thread 300 ms: the kernel still completes the checks' TCP handshakes (backlog),
    // so only a checker on another thread can count probes meanwhile.
    const end = performance.now() + 300;
    while (performance.now() < end) { /* busy */ }
    const before = checker.view()[0]!.checks;
    const t0 = performance.now();
    // ~30 probes ran in the worker during the block; the view it posted meanwhile arrives at once.
    // An in-thread checker would need 150 ms more to count 15.
    await until(() => checker.view()[0]!.checks >= before + 15, 2000);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(b.accepted()).toBeGreaterThan(0);
  });

  test("createHealthChecker picks the in-thread checker on request", () => {
    const c = createHealthChecker(() => {}, undefined, { offThread: false });
    expect(c).toBeInstanceOf(HealthChecker);
    c.stop();
    const w = createHealthChecker(() => {});
    expect(w).toBeInstanceOf(WorkerHealthChecker);
    w.stop();
  });
});
