import { describe, expect, test } from "bun:test";
import { buildSmoothWrr } from "../../src/balance/smooth-wrr.ts";
import { ctxOf, pool, runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "weighted_round_robin", algorithm: "weighted_round_robin" });

function sequence(weights: number[], picks: number, scheduleLimit?: number): number[] {
  const s = buildSmoothWrr(pool(weights.length, (i) => weights[i]!), scheduleLimit);
  const ctx = ctxOf();
  return Array.from({ length: picks }, () => s.pick(ctx, 0));
}

describe("smooth weighted round robin", () => {
  test("weights 5,1,1 give a,a,b,a,c,a,a every cycle, never a burst of five", () => {
    const names = sequence([5, 1, 1], 21).map((i) => "abc"[i]).join("");
    expect(names).toBe("aabacaa".repeat(3));
  });

  test("the live nginx loop and the precomputed cycle give the same sequence", () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % 9;
    for (let trial = 0; trial < 20; trial++) {
      const weights = Array.from({ length: 2 + (trial % 9) }, () => rnd());
      const total = weights.reduce((a, b) => a + b, 0);
      expect(sequence(weights, 3 * total + 5, 0)).toEqual(sequence(weights, 3 * total + 5));
    }
  });

  test("weights with a common factor run the reduced cycle, identical to nginx's", () => {
    expect(sequence([10, 2, 2], 28)).toEqual(sequence([10, 2, 2], 28, 0));
    expect(sequence([10, 2, 2], 7)).toEqual(sequence([5, 1, 1], 7));
  });

  test("fractional weights run the live loop and stay exact per cycle", () => {
    const seq = sequence([0.5, 1.5], 40);
    for (let w0 = 0; w0 < 40; w0 += 4) {
      const c = [0, 0];
      for (let k = w0; k < w0 + 4; k++) c[seq[k]!]!++;
      expect(c).toEqual([1, 3]);
    }
  });

  test("a retry does not move the cycle", () => {
    const s = buildSmoothWrr(pool(3, (i) => [5, 1, 1][i]!));
    const out: number[] = [];
    for (let k = 0; k < 14; k++) {
      const ctx = ctxOf();
      out.push(s.pick(ctx, 0));
      expect(s.pick(ctx, 1)).not.toBe(out[k]);
    }
    expect(out.map((i) => "abc"[i]).join("")).toBe("aabacaa".repeat(2));
  });
});
