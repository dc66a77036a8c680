import { expect, test } from "bun:test";
import { newPickContext } from "../../../src/balance/index.ts";
import { compileSnapshot, validateConfig } from "../../../src/config/index.ts";
import { CircuitBreaker } from "../../../src/limits/index.ts";
import { BackendStats } from "../../../src/runtime/pools/backend-stats.ts";
import { buildPoolRuntime } from "../../../src/runtime/pools/pool-runtime.ts";

const config = compileSnapshot(validateConfig({
  pools: [{ name: "app", algorithm: "round_robin", slow_start_ms: 10_000, backends: ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"].map((address) => ({ address })) }],
}), 1).pools.app!;

/** Picks `n` times through a runtime built on `weights` and counts each backend's share. */
function shares(weights: number[], ramping: boolean, n = 2100): number[] {
  const usable = config.backends.map((b, i) => ({ key: b.address, weight: weights[i]! }));
  const rt = buildPoolRuntime(config, usable, false, (a) => new BackendStats("app", a), new CircuitBreaker(), undefined, ramping);
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) counts[rt.selector.pick(newPickContext(undefined, rt.load), 0)]!++;
  return counts.map((c) => c / n);
}

test("slow start reaches round_robin pools: a ramping backend gets its ramp share, not a full third", () => {
  const ramp = shares([100, 100, 10], true);
  expect(ramp[2]).toBeCloseTo(10 / 210, 2);
  expect(ramp[0]).toBeCloseTo(100 / 210, 2);
  // after the ramp (weights equal again) it is plain round robin
  expect(shares([100, 100, 100], false)).toEqual([1 / 3, 1 / 3, 1 / 3]);
});
