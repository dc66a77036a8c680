import { describe, expect, test } from "bun:test";
import { bucketUpperMs, LATENCY_BUCKETS, LatencyCounts, quantileMs } from "../../../src/runtime/stats/latency.ts";
import { mulberry32 } from "../../helpers/rng.ts";

/** The exact nearest-rank quantile of `xs`. */
function exact(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
}

describe("latency counts", () => {
  test("p50 and p99 read back within a bucket's width (19%) of the exact values", () => {
    const next = mulberry32(7);
    // A long-tailed mix: most requests near 2 ms, a few near 40 ms and 900 ms.
    const xs = Array.from({ length: 20_000 }, () => {
      const r = next();
      return r < 0.97 ? 1 + 2 * next() : r < 0.995 ? 30 + 20 * next() : 800 + 200 * next();
    });
    const c = new LatencyCounts();
    for (const x of xs) c.observe(x);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const got = quantileMs(c.counts, xs.length, q);
      const want = exact(xs, q);
      expect(Math.abs(got - want) / want).toBeLessThan(0.19);
    }
  });

  test("no observations is NaN; tiny, huge, negative and NaN durations land in the end buckets", () => {
    expect(quantileMs(new Uint32Array(LATENCY_BUCKETS), 0, 0.5)).toBeNaN();
    const c = new LatencyCounts();
    for (const v of [-1, Number.NaN, 0, 0.001]) c.observe(v);
    expect(c.counts[0]).toBe(4);
    c.observe(1e9);
    expect(c.counts[LATENCY_BUCKETS - 1]).toBe(1);
    expect(quantileMs(c.counts, 5, 1)).toBeGreaterThan(bucketUpperMs(LATENCY_BUCKETS - 2));
    expect(quantileMs(c.counts, 5, 0.5)).toBe(0.01);
  });

  test("bucket bounds grow by a quarter octave and cover 10 µs to over two minutes", () => {
    expect(bucketUpperMs(3) / bucketUpperMs(-1)).toBeCloseTo(2, 10);
    expect(bucketUpperMs(LATENCY_BUCKETS - 1)).toBeGreaterThan(120_000);
    const c = new LatencyCounts();
    c.observe(1);
    const i = c.counts.findIndex((n) => n === 1);
    expect(bucketUpperMs(i - 1)).toBeLessThanOrEqual(1);
    expect(bucketUpperMs(i)).toBeGreaterThan(1);
  });
});
