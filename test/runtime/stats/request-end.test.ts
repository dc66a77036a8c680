import { describe, expect, test } from "bun:test";
import { LATENCY_BUCKETS, LatencyCounts, latencyBucket } from "../../../src/runtime/stats/latency.ts";
import { recordRequestEnd } from "../../../src/runtime/stats/request-end.ts";
import { statusClass, TrafficStats } from "../../../src/runtime/stats/traffic-stats.ts";
import { BackendStats } from "../../../src/runtime/pools/backend-stats.ts";
import { mulberry32 } from "../../helpers/rng.ts";

/** The counters as the hooks counted them before the one-step recording: record() and observe() per level. */
function oneByOne(l: TrafficStats, r: TrafficStats, p: TrafficStats, b: TrafficStats, status: number, bi: number, bo: number, retries: number, code: string | undefined, ttfb: number): void {
  l.active--;
  l.record(status, bi, bo, 0, code);
  if (ttfb >= 0) l.durations.observe(ttfb);
  r.active--;
  r.record(status, bi, bo, retries, code);
  if (ttfb >= 0) r.durations.observe(ttfb);
  p.active--;
  p.record(status, bi, bo, retries, code);
  b.record(status, bi, bo, 0, code);
}

const plain = (s: TrafficStats) => ({ ...s, errors: [...s.errors], durations: [...s.durations.counts] });

describe("one finished request, counted in one step", () => {
  test("every level's counters come out as one record() and observe() per level made them", () => {
    const next = mulberry32(17);
    const one = [new TrafficStats(), new TrafficStats(), new TrafficStats(), new BackendStats("app", "127.0.0.1:1")];
    const two = [new TrafficStats(), new TrafficStats(), new TrafficStats(), new BackendStats("app", "127.0.0.1:1")];
    const statuses = [0, 99, 101, 200, 204, 302, 404, 499, 500, 503, 599, 600, 999];
    for (let i = 0; i < 5000; i++) {
      const status = statuses[(next() * statuses.length) | 0]!;
      const code = next() < 0.1 ? (next() < 0.5 ? "UPSTREAM_TIMEOUT" : "NO_ROUTE") : undefined;
      const ttfb = next() < 0.1 ? -1 : 10 ** (next() * 9 - 3);
      const bi = (next() * 1000) | 0, bo = (next() * 1e5) | 0, retries = (next() * 3) | 0;
      oneByOne(one[0]!, one[1]!, one[2]!, one[3]!, status, bi, bo, retries, code, ttfb);
      recordRequestEnd(two[0]!, two[1]!, two[2]!, two[3]!, status, bi, bo, retries, code, ttfb);
    }
    for (let k = 0; k < 4; k++) expect(plain(two[k]!)).toEqual(plain(one[k]!));
    expect(one[0]!.durations.counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(4000);
  });

  test("levels a request did not reach are left alone", () => {
    const l = new TrafficStats();
    recordRequestEnd(l, undefined, undefined, undefined, 404, 0, 10, 0, "NO_ROUTE", 0.5);
    expect(l.byClass).toEqual([0, 0, 0, 0, 1, 0]);
    expect(l.errors.get("NO_ROUTE")).toBe(1);
    expect(l.active).toBe(-1);
  });

  test("statusClass and latencyBucket agree with record() and observe()", () => {
    for (const s of [-5, 0, 99, 100, 199, 200, 599, 600, 1000]) {
      const t = new TrafficStats();
      t.record(s, 0, 0, 0, undefined);
      expect(t.byClass[statusClass(s)]).toBe(1);
    }
    for (const ms of [-1, Number.NaN, 0, 0.01, 0.0100001, 0.5, 1, 2, 1e9, Infinity]) {
      const c = new LatencyCounts();
      c.observe(ms);
      const i = latencyBucket(ms);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(LATENCY_BUCKETS);
      expect(c.counts[i]).toBe(1);
    }
  });
});
