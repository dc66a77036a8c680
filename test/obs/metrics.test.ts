import { describe, expect, test } from "bun:test";
import { isLbError } from "../../src/errors.ts";
import { Registry } from "../../src/obs/index.ts";

describe("metrics registry", () => {
  test("renders counters with labels in text format 0.0.4", () => {
    const r = new Registry();
    const c = r.counter("fulcrum_test_total", "A test counter.", ["method", "code"]);
    c.inc({ method: "GET", code: 200 });
    c.inc({ method: "GET", code: 200 }, 2);
    c.inc({ method: "PUT", code: 412 });
    expect(r.render()).toBe(
      [
        "# HELP fulcrum_test_total A test counter.",
        "# TYPE fulcrum_test_total counter",
        'fulcrum_test_total{method="GET",code="200"} 3',
        'fulcrum_test_total{method="PUT",code="412"} 1',
        "",
      ].join("\n"),
    );
    expect(c.value({ method: "GET", code: 200 })).toBe(3);
  });

  test("escapes label values and help text", () => {
    const r = new Registry();
    r.gauge("g", "line one\nback\\slash", ["v"]).set(1.5, { v: 'a"b\\c\nd' });
    expect(r.render()).toBe('# HELP g line one\\nback\\\\slash\n# TYPE g gauge\ng{v="a\\"b\\\\c\\nd"} 1.5\n');
  });

  test("gauge callbacks refresh the value at each scrape", () => {
    const r = new Registry();
    let now = 1;
    r.gauge("fulcrum_config_revision", "rev", [], (g) => g.set(now));
    expect(r.render()).toContain("fulcrum_config_revision 1\n");
    now = 7;
    expect(r.render()).toContain("fulcrum_config_revision 7\n");
  });

  test("histogram buckets are cumulative and end with +Inf, sum and count", () => {
    const r = new Registry();
    const h = r.histogram("lat_seconds", "latency", ["m"], [0.1, 1]);
    for (const v of [0.05, 0.5, 0.5, 3]) h.observe(v, { m: "GET" });
    expect(r.render().split("\n").slice(2, 7)).toEqual([
      'lat_seconds_bucket{m="GET",le="0.1"} 1',
      'lat_seconds_bucket{m="GET",le="1"} 3',
      'lat_seconds_bucket{m="GET",le="+Inf"} 4',
      'lat_seconds_sum{m="GET"} 4.05',
      'lat_seconds_count{m="GET"} 4',
    ]);
  });

  test("registering a name again returns the same metric; another kind is refused", () => {
    const r = new Registry();
    const a = r.counter("x_total", "x");
    expect(r.counter("x_total", "x")).toBe(a);
    expect(() => r.gauge("x_total", "x")).toThrow();
  });

  test("refuses bad names, missing labels and negative counter increments", () => {
    const r = new Registry();
    const caught = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return isLbError(e, "INVALID_ARGUMENT");
      }
      return false;
    };
    expect(caught(() => r.counter("bad-name", "x"))).toBe(true);
    expect(caught(() => r.counter("ok_total", "x", ["le"]))).toBe(true);
    const c = r.counter("y_total", "y", ["a"]);
    expect(caught(() => c.inc({}))).toBe(true);
    expect(caught(() => c.inc({ a: "1" }, -1))).toBe(true);
  });

  test("an empty registry renders as empty text", () => {
    expect(new Registry().render()).toBe("");
  });
});

describe("collect callbacks", () => {
  test("a scrape shows exactly the series the callback set: a label set it no longer sets goes away", () => {
    const r = new Registry();
    let backends = ["a", "b"];
    r.gauge("fulcrum_backend_healthy", "h", ["backend"], (g) => backends.forEach((b) => g.set(1, { backend: b })));
    r.counter("fulcrum_backend_requests_total", "r", ["backend"], (c) => backends.forEach((b) => c.set(5, { backend: b })));
    expect(r.render()).toContain('fulcrum_backend_healthy{backend="b"} 1\n');
    backends = ["a"];
    const text = r.render();
    expect(text).toContain('fulcrum_backend_healthy{backend="a"} 1\n');
    expect(text).toContain('fulcrum_backend_requests_total{backend="a"} 5\n');
    expect(text).not.toContain('backend="b"');
  });
});
