import { describe, expect, test } from "bun:test";
import { createSelector } from "../../src/balance/index.ts";
import { ctxOf, pool, runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "power_of_two", algorithm: "power_of_two" });

describe("power_of_two", () => {
  test("sends the least loaded backend more than its share and the most loaded none", () => {
    const s = createSelector(pool(10), { algorithm: "power_of_two" });
    const load = new Int32Array([4, 4, 4, 0, 4, 4, 9, 4, 4, 4]);
    const counts = new Array<number>(10).fill(0);
    for (let k = 0; k < 20_000; k++) counts[s.pick(ctxOf(undefined, load), 0)]!++;
    expect(counts[6]).toBe(0);
    // backend 3 wins whenever it is a candidate: 1 - (9/10 × 8/9) = 20% of picks
    expect(Math.abs(counts[3]! / 20_000 - 0.2)).toBeLessThan(0.015);
  });

  test("draws two distinct candidates even when one backend holds nearly all the weight", () => {
    const s = createSelector(pool(2, (i) => (i === 0 ? 1000 : 1)), { algorithm: "power_of_two" });
    const load = new Int32Array([5000, 1]);
    for (let k = 0; k < 1000; k++) expect(s.pick(ctxOf(undefined, load), 0)).toBe(1);
  });
});
