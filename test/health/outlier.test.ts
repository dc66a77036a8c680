import { describe, expect, test } from "bun:test";
import { OutlierDetector, resolveOutlierSpec } from "../../src/health/index.ts";

function detector(size: number, spec = {}) {
  const events: [string, boolean][] = [];
  const d = new OutlierDetector("app", resolveOutlierSpec({ consecutive_5xx: 3, consecutive_gateway_failures: 2, base_ejection_ms: 1000, max_ejection_ms: 2500, max_ejection_percent: 50, ...spec }), size, (_p, b, e) => events.push([b, e]));
  return { d, events };
}

describe("OutlierDetector", () => {
  test("ejects after consecutive 5xx and returns after the ejection time", () => {
    const { d, events } = detector(4);
    d.report("a", "http_5xx", 0);
    d.report("a", "http_5xx", 1);
    expect(d.isEjected("a", 2)).toBe(false);
    d.report("a", "http_5xx", 2);
    expect(d.isEjected("a", 3)).toBe(true);
    expect(d.isEjected("a", 1001)).toBe(true);
    expect(d.isEjected("a", 1002)).toBe(false);
    expect(events).toEqual([["a", true], ["a", false]]);
  });

  test("a success between failures resets the streak", () => {
    const { d } = detector(4);
    for (let i = 0; i < 10; i++) {
      d.report("a", "http_5xx", i);
      d.report("a", "http_5xx", i);
      d.report("a", "success", i);
    }
    expect(d.isEjected("a", 11)).toBe(false);
  });

  test("gateway failures count separately and eject sooner", () => {
    const { d } = detector(4);
    d.report("b", "gateway_failure", 0);
    d.report("b", "gateway_failure", 0);
    expect(d.isEjected("b", 1)).toBe(true);
  });

  test("ejection time grows with each ejection up to the cap", () => {
    const { d } = detector(4);
    const ejectAt = (t: number) => { d.report("a", "gateway_failure", t); d.report("a", "gateway_failure", t); };
    ejectAt(0);
    expect(d.isEjected("a", 999)).toBe(true);
    d.sweep(1000);
    ejectAt(1000);
    expect(d.isEjected("a", 2999)).toBe(true);
    expect(d.isEjected("a", 3000)).toBe(false);
    ejectAt(3000);
    ejectAt(3000);
    expect(d.isEjected("a", 5499)).toBe(true);
    expect(d.isEjected("a", 5500)).toBe(false);
    expect(d.ejections).toBe(3);
  });

  test("never ejects more than the configured share of the pool, but at least one", () => {
    const { d } = detector(4);
    for (const b of ["a", "b", "c"]) { d.report(b, "gateway_failure", 0); d.report(b, "gateway_failure", 0); }
    expect(d.ejected().sort()).toEqual(["a", "b"]);
    const small = detector(1, { max_ejection_percent: 10 });
    small.d.report("x", "gateway_failure", 0);
    small.d.report("x", "gateway_failure", 0);
    expect(small.d.ejected()).toEqual(["x"]);
  });

  test("a passing active check returns a backend early", () => {
    const { d, events } = detector(4);
    d.report("a", "gateway_failure", 0);
    d.report("a", "gateway_failure", 0);
    d.activeCheckPassed("a");
    expect(d.isEjected("a", 1)).toBe(false);
    expect(events).toEqual([["a", true], ["a", false]]);
  });
});
