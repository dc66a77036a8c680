/**
 * Kept probe connections live exactly as long as the checker probes their backend, on the
 * data-plane thread and in the Worker alike; and the config schema's `reuse_connection` field.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { validateConfig } from "../../src/config/index.ts";
import { createHealthChecker, resolveCheckSpec } from "../../src/health/index.ts";
import { expectLbError, problemPaths } from "../config/helpers.ts";
import { ok, rawOrigin, until, type RawOrigin } from "./raw-origin.ts";

const origins: RawOrigin[] = [];
afterEach(() => origins.splice(0).forEach((o) => o.stop()));

function origin(): RawOrigin {
  const o = rawOrigin((s) => s.write(ok()));
  origins.push(o);
  return o;
}

const spec = resolveCheckSpec({ type: "http", interval_ms: 20, timeout_ms: 200, jitter: 0 });

for (const offThread of [false, true]) {
  describe(offThread ? "in the Worker" : "on the data-plane thread", () => {
    test("a removed pool's backends see their kept connection closed", async () => {
      const [a, b] = [origin(), origin()];
      const checker = createHealthChecker(() => {}, undefined, { offThread });
      try {
        checker.setPool("app", spec, [a.target.key, b.target.key]);
        await until(() => a.requests.length >= 3 && b.requests.length >= 3, 3000);
        expect([a.opened, b.opened]).toEqual([1, 1]);
        checker.removePool("app");
        await until(() => a.closed === 1 && b.closed === 1);
        const seen = a.requests.length;
        await Bun.sleep(60);
        expect(a.requests.length).toBe(seen);
        expect([a.opened, b.opened]).toEqual([1, 1]);
      } finally {
        checker.stop();
      }
    });

    test("a backend dropped from a pool, a changed check and a stopped checker each close theirs", async () => {
      const [a, b] = [origin(), origin()];
      const checker = createHealthChecker(() => {}, undefined, { offThread });
      try {
        checker.setPool("app", spec, [a.target.key, b.target.key]);
        await until(() => a.requests.length >= 2 && b.requests.length >= 2, 3000);
        checker.setPool("app", spec, [a.target.key]);
        await until(() => b.closed === 1);
        expect(a.closed).toBe(0);
        // A new spec is a new check: the old one's connection goes, the new one opens its own.
        checker.setPool("app", { ...spec, path: "/other" }, [a.target.key]);
        await until(() => a.closed === 1 && a.requests.some((r) => r.head.startsWith("GET /other ")), 3000);
        expect(a.opened).toBe(2);
      } finally {
        checker.stop();
      }
      await until(() => a.closed === 2);
      expect(b.opened).toBe(1);
    });
  });
}

describe("health_check.reuse_connection in the config schema", () => {
  const doc = (health_check: object) => ({ pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }], health_check }] });

  test("is accepted as a boolean and defaults to reusing", () => {
    const off = validateConfig(doc({ type: "http", reuse_connection: false }));
    expect(off.pools[0]!.health_check?.reuse_connection).toBe(false);
    expect(resolveCheckSpec(off.pools[0]!.health_check!).reuseConnection).toBe(false);
    const dflt = validateConfig(doc({ type: "http" }));
    expect(resolveCheckSpec(dflt.pools[0]!.health_check!).reuseConnection).toBe(true);
  });

  test("a non-boolean is a 400 CONFIG_INVALID naming the field", () => {
    const e = expectLbError(() => validateConfig(doc({ type: "http", reuse_connection: "yes" })), "CONFIG_INVALID");
    expect(e.status).toBe(400);
    expect(problemPaths(e)).toEqual(["pools[0].health_check.reuse_connection"]);
  });
});
