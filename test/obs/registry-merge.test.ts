import { describe, expect, test } from "bun:test";
import { mergeFamilies, Registry } from "../../src/obs/index.ts";

/** A registry with the families a worker registers, fed `n` observations. */
function worker(n: number, connections: number, bound: number): Registry {
  const r = new Registry();
  const c = r.counter("t_requests_total", "requests", ["listener"]);
  const h = r.histogram("t_latency_seconds", "latency", ["pool"], [0.1, 1]);
  r.gauge("t_active", "open", ["listener"]).set(n, { listener: "web" });
  const shared = r.gauge("t_pool_connections", "node-wide", ["pool"]);
  shared.merge = "max";
  shared.set(connections, { pool: "app" });
  const b = r.gauge("t_bound", "bound", ["listener"]);
  b.merge = "min";
  b.set(bound, { listener: "web" });
  for (let i = 0; i < n; i++) {
    c.inc({ listener: "web" });
    h.observe(i % 2 === 0 ? 0.05 : 0.5, { pool: "app" });
  }
  return r;
}

describe("merging workers' registries", () => {
  test("counters and histograms add up, gauges by their rule, and the merge renders like one registry", () => {
    const merged = mergeFamilies([worker(3, 7, 1).dump(), worker(4, 7, 0).dump()]);
    const node = new Registry();
    node.extra = () => merged;
    const text = node.render();
    expect(text).toContain('t_requests_total{listener="web"} 7');
    expect(text).toContain('t_active{listener="web"} 7');
    expect(text).toContain('t_pool_connections{pool="app"} 7');
    expect(text).toContain('t_bound{listener="web"} 0');
    // 7 observations: 0.05 four times (i = 0, 2 of 3 and 0, 2 of 4), 0.5 three times.
    expect(text).toContain('t_latency_seconds_bucket{pool="app",le="0.1"} 4');
    expect(text).toContain('t_latency_seconds_bucket{pool="app",le="1"} 7');
    expect(text).toContain('t_latency_seconds_count{pool="app"} 7');
    const one = worker(7, 7, 0).render();
    const line = (t: string, prefix: string) => t.split("\n").find((l) => l.startsWith(prefix));
    expect(line(text, "t_latency_seconds_sum")).toBe(line(one, "t_latency_seconds_sum"));
  });

  test("a family the node registers itself is rendered once, from the node", () => {
    const node = new Registry();
    node.counter("t_requests_total", "requests", ["listener"]).inc({ listener: "admin" });
    node.extra = () => mergeFamilies([worker(2, 0, 1).dump()]);
    const text = node.render();
    expect(text.match(/# TYPE t_requests_total/g)?.length).toBe(1);
    expect(text).toContain('t_requests_total{listener="admin"} 1');
  });
});
