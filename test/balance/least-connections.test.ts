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
});
