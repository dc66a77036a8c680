import { describe, expect, test } from "bun:test";
import { drawAlias, pickWeighted, weightTable } from "../../src/balance/weights.ts";
import { pool, runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "random", algorithm: "random" });

describe("weighted draw", () => {
  test("maps r across the cumulative weights, skipping weight 0 and excluded backends", () => {
    const t = weightTable(pool(5, (i) => [1, 0, 2, 3, 4][i]!));
    // r × 10 falls in [0,1) -> 0, [1,3) -> 2, [3,6) -> 3, [6,10) -> 4
    expect([0, 0.05, 0.1, 0.29, 0.3, 0.59, 0.6, 0.99].map((r) => pickWeighted(t, r, -1, -1, -1))).toEqual([0, 0, 2, 2, 3, 3, 4, 4]);
    // without backend 3 the line is 7 long: [0,1) -> 0, [1,3) -> 2, [3,7) -> 4
    expect([0, 0.1, 0.2, 0.42, 0.43, 0.99].map((r) => pickWeighted(t, r, 3, -1, -1))).toEqual([0, 0, 2, 2, 4, 4]);
    expect(pickWeighted(t, 0.5, 0, 2, 3)).toBe(4);
    expect(pickWeighted(t, 0.5, 4, 2, 3)).toBe(0);
    expect(pickWeighted(weightTable(pool(2, () => 0)), 0.5, -1, -1, -1)).toBe(-1);
  });

  test("leaves out excluded backends in exact proportion", () => {
    const t = weightTable(pool(4, (i) => i + 1));
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 9000; k++) counts[pickWeighted(t, (k + 0.5) / 9000, 1, -1, -1)]!++;
    expect(counts).toEqual([1125, 0, 3375, 4500]);
    // a heavy excluded backend followed by a light one: the light one keeps only its own share
    const u = weightTable(pool(4, (i) => [1, 3, 1, 3][i]!));
    const c2 = [0, 0, 0, 0];
    for (let k = 0; k < 5000; k++) c2[pickWeighted(u, (k + 0.5) / 5000, 1, -1, -1)]!++;
    expect(c2).toEqual([1000, 0, 1000, 3000]);
    const c3 = [0, 0, 0, 0];
    for (let k = 0; k < 4000; k++) c3[pickWeighted(u, (k + 0.5) / 4000, 3, 0, -1)]!++;
    expect(c3).toEqual([0, 3000, 1000, 0]);
    const v = weightTable(pool(5, (i) => [3, 1, 1, 1, 1][i]!));
    const c4 = [0, 0, 0, 0, 0];
    for (let k = 0; k < 2000; k++) c4[pickWeighted(v, (k + 0.5) / 2000, 4, 0, 2)]!++;
    expect(c4).toEqual([0, 1000, 0, 1000, 0]);
  });

  test("the alias table draws each backend with exactly its share of [0, 1) and never a weight-0 one", () => {
    for (const weights of [[1, 2, 3, 4, 0], [0, 0, 5], [7], [1000, 1, 0, 1], [0.3, 0.1, 0.6]]) {
      const t = weightTable(pool(weights.length, (i) => weights[i]!));
      const total = weights.reduce((x, y) => x + y, 0);
      const K = 200_000;
      const counts = weights.map(() => 0);
      for (let k = 0; k < K; k++) counts[drawAlias(t, (k + 0.5) / K)]!++;
      weights.forEach((w, i) => {
        if (w === 0) expect(counts[i]).toBe(0);
        else expect(Math.abs(counts[i]! / K - w / total)).toBeLessThan(1e-4);
      });
    }
    expect(drawAlias(weightTable(pool(3, () => 0)), 0.5)).toBe(-1);
    expect(drawAlias(weightTable([]), 0.5)).toBe(-1);
  });
});
