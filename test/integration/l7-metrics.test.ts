/**
 * What a real node reports about L7 traffic: /metrics request counts by listener, route and pool
 * and status class, the upstream latency histogram, retries and errors by code; /v1/status
 * per-backend counters that move with the requests sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, call, deadAddress, metric, spread, startNode, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";

let a: Backend;
let b: Backend;
let bad: Backend;
let n: L7Node;
let port = 0;
const dead = deadAddress();

beforeAll(async () => {
  const answer = (req: Request) => (new URL(req.url).pathname.endsWith("/missing") ? new Response("no", { status: 404 }) : new Response("yes"));
  a = backend("a", answer);
  b = backend("b", answer);
  bad = backend("bad", () => new Response("down", { status: 503 }));
  n = await startNode({
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0", pool: "main",
      routes: [
        { name: "api", match: { path_prefix: "/api" }, pool: "main" },
        { name: "retry", match: { path_prefix: "/retry" }, pool: "flaky", retries: { attempts: 1, on: ["503"] } },
        { name: "conn", match: { path_prefix: "/conn" }, pool: "deadish", retries: { attempts: 1, on: ["connect_failure"] } },
        { name: "off", match: { path_prefix: "/off" }, pool: "off" },
      ],
    }],
    pools: [
      { name: "main", backends: [a, b].map((x) => ({ address: x.address })) },
      { name: "flaky", backends: [{ address: bad.address }, { address: a.address }] },
      { name: "deadish", backends: [{ address: dead }, { address: b.address }] },
      { name: "off", backends: [{ address: a.address, state: "disabled" }] },
    ],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  [a, b, bad].forEach((x) => x.stop());
});

const backendOf = (st: any, pool: string, addr: string) => st.pools.find((p: any) => p.name === pool).backends.find((x: any) => x.address === addr);

describe("metrics and status through a real node", () => {
  test("requests by listener, route and pool and status class, and the upstream latency histogram", async () => {
    const st0 = await n.status();
    expect(await spread(6, () => call(port, "/api/x"))).toEqual({ a: 3, b: 3 });
    expect(await spread(4, () => call(port, "/api/missing"))).toEqual({ a: 2, b: 2 });
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_route_http_requests_total{listener="web",route="api",class="2xx"}')).toBe(6);
    expect(metric(m, 'fulcrum_route_http_requests_total{listener="web",route="api",class="4xx"}')).toBe(4);
    expect(metric(m, 'fulcrum_pool_http_requests_total{pool="main",class="2xx"}')).toBe(6);
    expect(metric(m, 'fulcrum_listener_http_requests_total{listener="web",class="2xx"}')).toBe(6);
    expect(metric(m, 'fulcrum_pool_upstream_latency_seconds_count{pool="main"}')).toBe(10);
    expect(metric(m, 'fulcrum_pool_upstream_latency_seconds_bucket{pool="main",le="+Inf"}')).toBe(10);
    expect(metric(m, 'fulcrum_pool_upstream_latency_seconds_sum{pool="main"}')).toBeGreaterThan(0);
    const st1 = await n.status();
    for (const x of [a, b]) {
      const before = backendOf(st0, "main", x.address), after = backendOf(st1, "main", x.address);
      expect(after.requests_total - before.requests_total).toBe(5);
      expect(after.active_requests).toBe(0);
    }
  });

  test("retries and failures are counted per route and per backend", async () => {
    const st0 = await n.status();
    const badBefore = bad.hits;
    expect(await spread(4, () => call(port, "/retry"))).toEqual({ a: 4 });
    expect(await spread(4, () => call(port, "/conn"))).toEqual({ b: 4 });
    const m = await n.metrics();
    // Every hit on the failing backend (and every refused connect) cost exactly one retry.
    const badHits = bad.hits - badBefore;
    expect(badHits).toBeGreaterThanOrEqual(2);
    expect(metric(m, 'fulcrum_route_http_retries_total{listener="web",route="retry"}')).toBe(badHits);
    expect(metric(m, 'fulcrum_pool_http_retries_total{pool="flaky"}')).toBe(badHits);
    expect(metric(m, `fulcrum_backend_5xx_total{pool="flaky",backend="${bad.address}"}`)).toBe(badHits);
    const st1 = await n.status();
    const d0 = backendOf(st0, "deadish", dead), d1 = backendOf(st1, "deadish", dead);
    const refused = d1.failures_total - d0.failures_total;
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(metric(m, 'fulcrum_route_http_retries_total{listener="web",route="conn"}')).toBe(refused);
  });

  test("errors by code: NO_HEALTHY_BACKEND counted for the route and listener", async () => {
    for (let i = 0; i < 3; i++) expect((await call(port, "/off")).headers.get("x-fulcrum-error")).toBe("NO_HEALTHY_BACKEND");
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_route_http_errors_total{listener="web",route="off",code="NO_HEALTHY_BACKEND"}')).toBe(3);
    expect(metric(m, 'fulcrum_listener_http_errors_total{listener="web",code="NO_HEALTHY_BACKEND"}')).toBe(3);
    expect(metric(m, 'fulcrum_route_http_requests_total{listener="web",route="off",class="5xx"}')).toBe(3);
    expect(metric(m, 'fulcrum_pool_http_errors_total{pool="off",code="NO_HEALTHY_BACKEND"}')).toBe(3);
    expect(metric(m, 'fulcrum_route_http_active_requests{listener="web",route="off"}')).toBe(0);
    expect(metric(m, 'fulcrum_pool_http_active_requests{pool="off"}')).toBe(0);
  });
});
