import { describe, expect, test } from "bun:test";
import { BackendStats } from "../../../src/runtime/index.ts";
import { StatsHistory, type HistorySource } from "../../../src/runtime/stats/history.ts";
import { TrafficStats } from "../../../src/runtime/stats/traffic-stats.ts";

/** A history over a mutable list of sources, sampled by hand at t = 1000 s, 1001 s, ... */
function setup(capacity = 10) {
  const sources: HistorySource[] = [];
  const h = new StatsHistory({ capacity, sources: () => sources });
  let t = 1000;
  const tick = (seconds = 1) => h.sample((t += seconds) * 1000, seconds);
  return { h, sources, tick };
}

function requests(s: TrafficStats, n: number, status = 200, ms = 2): void {
  for (let i = 0; i < n; i++) {
    s.record(status, 10, 100, 0, status >= 500 ? "UPSTREAM_RESET" : undefined);
    s.durations.observe(ms);
  }
}

describe("stats history", () => {
  test("each sample holds the second's requests, rate, classes, errors, gauge and latency", () => {
    const { h, sources, tick } = setup();
    const web = new TrafficStats();
    requests(web, 7); // before the series exists: not this window's traffic
    sources.push({ scope: "listener", name: "web", stats: web, active: 3 });
    tick();
    requests(web, 18, 200, 2);
    requests(web, 2, 404, 2);
    requests(web, 1, 502, 40);
    tick(2);
    const v = h.read({ seconds: 10 });
    expect(v.time).toEqual([1001, 1003]);
    const s = v.series[0]!;
    expect(s).toMatchObject({ scope: "listener", name: "web" });
    expect(s.requests).toEqual([0, 21]);
    expect(s.rps).toEqual([0, 10.5]);
    expect(s.status_4xx).toEqual([0, 2]);
    expect(s.status_5xx).toEqual([0, 1]);
    expect(s.errors).toEqual([0, 1]);
    expect(s.active).toEqual([3, 3]);
    expect(s.p50_ms[0]).toBeNull();
    expect(s.p50_ms[1]!).toBeGreaterThan(1.8);
    expect(s.p50_ms[1]!).toBeLessThan(2.2);
    expect(s.p99_ms[1]!).toBeGreaterThan(36);
    expect(s.p99_ms[1]!).toBeLessThan(44);
  });

  test("the ring keeps `capacity` samples, oldest first; ?seconds takes the newest", () => {
    const { h, sources, tick } = setup(5);
    const s = new TrafficStats();
    sources.push({ scope: "pool", name: "app", stats: s, active: 0 });
    for (let i = 1; i <= 8; i++) {
      requests(s, i);
      tick();
    }
    const all = h.read({ seconds: 100 });
    expect(all.capacity).toBe(5);
    expect(all.time).toEqual([1004, 1005, 1006, 1007, 1008]);
    expect(all.series[0]!.requests).toEqual([4, 5, 6, 7, 8]);
    expect(h.read({ seconds: 2 }).series[0]!.requests).toEqual([7, 8]);
  });

  test("a series that appears later is null before; one that leaves the config is dropped", () => {
    const { h, sources, tick } = setup();
    sources.push({ scope: "listener", name: "a", stats: undefined, active: 0 });
    tick();
    sources.push({ scope: "listener", name: "b", stats: undefined, active: 1 });
    tick();
    const v = h.read({ seconds: 10 });
    expect(v.series.map((s) => s.name)).toEqual(["a", "b"]);
    expect(v.series[1]!.active).toEqual([null, 1]);
    sources.shift();
    tick();
    expect(h.read({ seconds: 10 }).series.map((s) => s.name)).toEqual(["b"]);
  });

  test("new counters (first traffic, or a backend removed and added again) count from zero", () => {
    const { h, sources, tick } = setup();
    const src: HistorySource = { scope: "route", name: "api", parent: "web", stats: undefined, active: 0 };
    sources.push(src);
    tick();
    const s = new TrafficStats();
    requests(s, 4);
    src.stats = s;
    tick();
    const b1 = new BackendStats("app", "10.0.0.1:80");
    const back: HistorySource = { scope: "backend", name: b1.address, parent: "app", stats: b1, active: 0, started: 0 };
    sources.push(back);
    tick();
    b1.total += 9;
    back.started = b1.total;
    tick();
    const b2 = new BackendStats("app", "10.0.0.1:80");
    b2.total = 2;
    Object.assign(back, { stats: b2, started: 2 });
    tick();
    const v = h.read({ seconds: 10 });
    expect(v.series[0]).toMatchObject({ scope: "route", name: "api", listener: "web" });
    expect(v.series[0]!.requests).toEqual([0, 4, 0, 0, 0]);
    expect(v.series[1]).toMatchObject({ scope: "backend", name: "10.0.0.1:80", pool: "app" });
    expect(v.series[1]!.requests).toEqual([null, null, 0, 9, 2]);
  });

  test("scope, listener and pool filters select series; listener and pool together take either's", () => {
    const { h, sources, tick } = setup();
    const none = { stats: undefined, active: 0 };
    sources.push(
      { scope: "listener", name: "web", ...none },
      { scope: "route", name: "api", parent: "web", ...none },
      { scope: "listener", name: "edge", ...none },
      { scope: "pool", name: "app", ...none },
      { scope: "backend", name: "10.0.0.1:80", parent: "app", ...none },
      { scope: "pool", name: "db", ...none },
    );
    tick();
    const names = (q: Parameters<StatsHistory["read"]>[0]) => h.read(q).series.map((s) => `${s.scope}:${s.name}`);
    expect(names({ seconds: 5, scopes: ["pool"] })).toEqual(["pool:app", "pool:db"]);
    expect(names({ seconds: 5, listener: "web" })).toEqual(["listener:web", "route:api"]);
    expect(names({ seconds: 5, pool: "app", scopes: ["backend"] })).toEqual(["backend:10.0.0.1:80"]);
    expect(names({ seconds: 5, listener: "edge", pool: "db" })).toEqual(["listener:edge", "pool:db"]);
  });

  test("the timer samples once per interval and stops", async () => {
    let reads = 0;
    const h = new StatsHistory({ intervalMs: 20, sources: () => (reads++, []) });
    h.start();
    const deadline = Date.now() + 3000;
    while (reads < 3 && Date.now() < deadline) await Bun.sleep(10);
    h.stop();
    const seen = reads;
    expect(seen).toBeGreaterThanOrEqual(3);
    await Bun.sleep(60);
    expect(reads).toBe(seen);
  });
  test("a series is found by its snapshot object, by its key when the object is new, and starts over when its thing came back", () => {
    const { h, sources, tick } = setup();
    const s = new TrafficStats();
    const first = {};
    sources.push({ scope: "pool", name: "app", stats: s, active: 0, ref: first });
    tick();
    requests(s, 4);
    // The pool recompiled (a new object, same name, same counters): the same series goes on.
    sources[0] = { scope: "pool", name: "app", stats: s, active: 0, ref: {} };
    tick();
    expect(h.read({ seconds: 10 }).series.map((x) => x.requests)).toEqual([[0, 4]]);
    // Removed, then back with its first object: a new series, not the dropped one resumed.
    sources.length = 0;
    tick();
    expect(h.read({ seconds: 10 }).series).toEqual([]);
    sources.push({ scope: "pool", name: "app", stats: s, active: 0, ref: first });
    requests(s, 2);
    tick();
    const back = h.read({ seconds: 10 }).series;
    expect(back.length).toBe(1);
    expect(back[0]!.requests).toEqual([null, null, null, 0]);
  });

  test("a sample taken in slices gives the thread back, shows only once whole, and holds what sample() holds", async () => {
    const stats = Array.from({ length: 300 }, () => new TrafficStats());
    const sourcesOf = () => stats.map((s, i) => ({ scope: "pool" as const, name: `p${i}`, stats: s, active: i }));
    const sliced = new StatsHistory({ capacity: 3, sources: sourcesOf });
    const whole = new StatsHistory({ capacity: 3, sources: sourcesOf });
    const rounds: number[] = [];
    for (let round = 0; round < 4; round++) {
      stats.forEach((s, i) => requests(s, (i + round) % 7, i % 3 === 0 ? 503 : 200, 1 + i));
      whole.sample(1000 * (round + 1), 1);
      let pauses = 0;
      const seen: number[] = [];
      await sliced.sampleInSlices(0, async () => {
        pauses++;
        // Read mid-sample: the samples before this one, never the slot being written (the oldest, once the ring is full).
        seen.push(sliced.read({ seconds: 10 }).time.length);
        await Bun.sleep(0);
      }, 1000 * (round + 1));
      rounds.push(pauses);
      expect(seen.every((n) => n === Math.min(round, 2))).toBe(true);
    }
    expect(rounds.every((n) => n >= 4)).toBe(true); // 300 series, a pause check every 64
    const a = sliced.read({ seconds: 10 }), b = whole.read({ seconds: 10 });
    expect(a.time).toEqual([2, 3, 4]);
    expect(a.time).toEqual(b.time);
    expect(a.series.length).toBe(300);
    a.series.forEach((s, i) => {
      for (const field of ["requests", "status_4xx", "status_5xx", "active", "p50_ms", "p99_ms"] as const) expect(s[field]).toEqual(b.series[i]![field]);
    });
  });
});
