/**
 * A worker's stats report (StatsReporter) over a real data plane: what changed since the last
 * report, and the backends gone with a revision (a removed pool, a pool that lost a backend),
 * each said once.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { compileSnapshot, SnapshotHolder, validateConfig } from "../../../src/config/index.ts";
import { Registry } from "../../../src/obs/index.ts";
import { startDataPlane, type RunningDataPlane } from "../../../src/runtime/data-plane.ts";
import { StatsReporter } from "../../../src/runtime/workers/worker-stats.ts";

const doc = (pools: Record<string, string[]>) =>
  validateConfig({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: Object.keys(pools)[0] }],
    pools: Object.entries(pools).map(([name, addresses]) => ({ name, backends: addresses.map((address) => ({ address })) })),
  });

describe("worker stats report", () => {
  const holder = new SnapshotHolder();
  const registry = new Registry();
  let plane: RunningDataPlane | undefined;
  afterAll(async () => {
    await plane?.stop(0);
  });

  test("reports every backend once, then only changes; backends gone with a revision are named once", async () => {
    holder.publish(compileSnapshot(doc({ p: ["127.0.0.1:1", "127.0.0.1:2"], q: ["127.0.0.1:3"], r: ["127.0.0.1:4"] }), 1));
    plane = await startDataPlane({ holder, metrics: registry, log: () => {} });
    const reporter = new StatsReporter();
    const first = reporter.report(plane, holder.current(), registry, false);
    expect(first.backends.map((b) => `${b.pool} ${b.address}`).sort()).toEqual(["p 127.0.0.1:1", "p 127.0.0.1:2", "q 127.0.0.1:3", "r 127.0.0.1:4"]);
    expect(first.gone.backend).toEqual([]);
    const idle = reporter.report(plane, holder.current(), registry, false);
    expect(idle.backends).toEqual([]);
    expect(idle.gone.backend).toEqual([]);

    // p loses a backend, q goes, r stays the same object.
    holder.publish(compileSnapshot(doc({ p: ["127.0.0.1:1"], r: ["127.0.0.1:4"] }), 2, holder.current()));
    await plane.settled();
    const after = reporter.report(plane, holder.current(), registry, false);
    expect(after.gone.backend.sort()).toEqual(["p\u0000127.0.0.1:2", "q\u0000127.0.0.1:3"]);
    expect(reporter.report(plane, holder.current(), registry, false).gone.backend).toEqual([]);

    // A pool that comes back is reported afresh, and nothing of it is gone.
    holder.publish(compileSnapshot(doc({ p: ["127.0.0.1:1"], r: ["127.0.0.1:4"], q: ["127.0.0.1:5"] }), 3, holder.current()));
    await plane.settled();
    const back = reporter.report(plane, holder.current(), registry, false);
    expect(back.gone.backend).toEqual([]);
    expect(back.backends.map((b) => `${b.pool} ${b.address}`)).toContain("q 127.0.0.1:5");
  });
});
