import { describe, expect, test } from "bun:test";
import { computeUsable, slowStartWeight, type BackendLiveState } from "../../src/health/index.ts";

const opts = { panicThresholdPercent: 50, slowStartMs: 10_000, slowStartMinShare: 0.1 };
const b = (key: string, extra: Partial<BackendLiveState> = {}): BackendLiveState => ({ key, weight: 10, state: "active", healthy: true, ejected: false, ...extra });

describe("computeUsable", () => {
  test("leaves out unhealthy, ejected, draining and disabled backends", () => {
    const set = computeUsable([b("a"), b("b", { healthy: false }), b("c", { ejected: true }), b("d", { state: "draining" }), b("e", { state: "disabled" }), b("f"), b("g")], 0, opts);
    expect(set.backends.map((x) => x.key)).toEqual(["a", "f", "g"]);
    expect(set.panic).toBe(false);
  });

  test("panics below the threshold and balances over every active backend", () => {
    const set = computeUsable([b("a"), b("b", { healthy: false }), b("c", { healthy: false }), b("d", { state: "draining" })], 0, opts);
    expect(set.panic).toBe(true);
    expect(set.backends.map((x) => x.key)).toEqual(["a", "b", "c"]);
  });

  test("panic can be turned off", () => {
    const set = computeUsable([b("a"), b("b", { healthy: false }), b("c", { healthy: false })], 0, { ...opts, panicThresholdPercent: 0 });
    expect(set.panic).toBe(false);
    expect(set.backends.map((x) => x.key)).toEqual(["a"]);
  });

  test("a returning backend ramps from the minimum share to its full weight over the window", () => {
    expect(slowStartWeight(100, 0, 0, opts)).toBe(10);
    expect(slowStartWeight(100, 0, 5_000, opts)).toBe(55);
    expect(slowStartWeight(100, 0, 10_000, opts)).toBe(100);
    const set = computeUsable([b("a"), b("b", { healthySinceMs: 1000 })], 6000, opts);
    expect(set.ramping).toBe(true);
    expect(set.backends).toEqual([{ key: "a", weight: 10 }, { key: "b", weight: 6 }]);
    expect(computeUsable([b("b", { healthySinceMs: 1000 })], 11_000, opts).ramping).toBe(false);
  });
});
