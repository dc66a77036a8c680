import { describe, expect, test } from "bun:test";
import { Health } from "../../src/health/index.ts";

describe("Health state machine", () => {
  test("turns unhealthy only after unhealthyThreshold consecutive failures", () => {
    const h = new Health(2, 3, true);
    expect(h.observe(false)).toBe(false);
    expect(h.observe(false)).toBe(false);
    expect(h.healthy).toBe(true);
    expect(h.observe(false, "refused")).toBe(true);
    expect(h.healthy).toBe(false);
    expect(h.lastError).toBe("refused");
  });

  test("returns after healthyThreshold consecutive passes", () => {
    const h = new Health(2, 1, false);
    expect(h.observe(true)).toBe(false);
    expect(h.observe(true)).toBe(true);
    expect(h.healthy).toBe(true);
  });

  test("a backend that fails one check in three never leaves the pool", () => {
    const h = new Health(2, 3, true);
    for (let i = 0; i < 300; i++) {
      h.observe(i % 3 !== 2);
      expect(h.healthy).toBe(true);
    }
  });

  test("a pass in the middle resets the failure streak", () => {
    const h = new Health(1, 2, true);
    h.observe(false);
    h.observe(true);
    expect(h.observe(false)).toBe(false);
    expect(h.observe(false)).toBe(true);
  });
});
