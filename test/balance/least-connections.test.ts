import { describe, expect, test } from "bun:test";
import { createSelector } from "../../src/balance/index.ts";
import { ctxOf, pool, runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "least_connections", algorithm: "least_connections" });

describe("least_connections", () => {
  test("breaks ties at random in proportion to weight", () => {
    const s = createSelector(pool(4, (i) => [1, 3, 2, 2][i]!), { algorithm: "least_connections" });
    // 2/1 = 6/3 tie at the minimum; backends 2 and 3 are busier per weight.
    const load = new Int32Array([2, 6, 9, 9]);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 40_000; k++) counts[s.pick(ctxOf(undefined, load), 0)]!++;
    expect(counts[2]! + counts[3]!).toBe(0);
    expect(Math.abs(counts[0]! / 40_000 - 0.25)).toBeLessThan(0.015);
  });

  test("without live counts behaves as weighted random", () => {
    const s = createSelector(pool(3, (i) => i + 1), { algorithm: "least_connections" });
    const counts = [0, 0, 0];
    for (let k = 0; k < 60_000; k++) counts[s.pick(ctxOf(), 0)]!++;
    for (let i = 0; i < 3; i++) expect(Math.abs(counts[i]! / 60_000 - (i + 1) / 6)).toBeLessThan(0.01);
  });

  test("a retry takes the least loaded of the others", () => {
    const s = createSelector(pool(4), { algorithm: "least_connections" });
    const ctx = ctxOf(undefined, new Int32Array([5, 1, 3, 2]));
    expect(s.pick(ctx, 0)).toBe(1);
    expect(s.pick(ctx, 1)).toBe(3);
    expect(s.pick(ctx, 2)).toBe(2);
  });

  test("with every load change reported, answers from its index exactly as the scan would", () => {
    const n = 37;
    const weights = Array.from({ length: n }, (_, i) => (i === 5 ? 0 : 1 + (i % 5)));
    const s = createSelector(pool(n, (i) => weights[i]!), { algorithm: "least_connections" });
    const load = new Int32Array(n);
    let seed = 99;
    const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % k;
    for (let i = 0; i < n; i++) load[i] = rnd(6);
    s.loadChanged!(0, load);
    for (let step = 0; step < 5000; step++) {
      const i = rnd(n);
      load[i] = Math.max(0, load[i]! + (rnd(2) === 0 ? -1 : 1));
      s.loadChanged!(i, load);
      const p = s.pick(ctxOf(undefined, load), 0);
      const min = Math.min(...weights.map((w, j) => (w > 0 ? load[j]! / w : Infinity)));
      expect(weights[p]).toBeGreaterThan(0);
      expect(load[p]! / weights[p]!).toBe(min);
    }
    // a different array is not indexed: the scan answers for it
    const other = new Int32Array(n).fill(9);
    other[20] = 0;
    expect(s.pick(ctxOf(undefined, other), 0)).toBe(20);
  });

  test("the index breaks ties by weight too, and a retry still avoids the first pick", () => {
    const s = createSelector(pool(4, (i) => [1, 3, 2, 2][i]!), { algorithm: "least_connections" });
    const load = new Int32Array([2, 6, 9, 9]);
    s.loadChanged!(0, load);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 40_000; k++) {
      const ctx = ctxOf(undefined, load);
      const p = s.pick(ctx, 0);
      counts[p]!++;
      expect(s.pick(ctx, 1)).not.toBe(p);
    }
    expect(counts[2]! + counts[3]!).toBe(0);
    expect(Math.abs(counts[0]! / 40_000 - 0.25)).toBeLessThan(0.015);
  });

  test("the index keeps tie weights current as loads move", () => {
    const s = createSelector(pool(4, (i) => [1, 3, 2, 2][i]!), { algorithm: "least_connections" });
    const load = new Int32Array(4);
    s.loadChanged!(0, load);
    load[2] = 1; // the tie shrinks to backends 0, 1 and 3 without the least ratio moving
    s.loadChanged!(2, load);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 60_000; k++) counts[s.pick(ctxOf(undefined, load), 0)]!++;
    [1 / 6, 3 / 6, 0, 2 / 6].forEach((share, i) => expect(Math.abs(counts[i]! / 60_000 - share)).toBeLessThan(0.015));
  });
});
