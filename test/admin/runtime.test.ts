import { describe, expect, test } from "bun:test";
import { baseDoc, call, makeApp } from "./setup.ts";

describe("runtime endpoints", () => {
  test("/healthz answers; /readyz is 503 NOT_READY until a snapshot is applied, then follows ready()", async () => {
    let bound = false;
    const { app } = makeApp({ ready: () => bound });
    expect((await call(app, "GET", "/healthz")).status).toBe(200);
    expect((await call(app, "GET", "/readyz")).body.error.code).toBe("NOT_READY");
    bound = true;
    expect((await call(app, "GET", "/readyz")).status).toBe(200);

    const plain = makeApp();
    expect((await call(plain.app, "GET", "/readyz")).status).toBe(503);
    await call(plain.app, "PUT", "/v1/config", baseDoc());
    expect((await call(plain.app, "GET", "/readyz")).body).toMatchObject({ status: "ready", revision: 1 });
  });

  test("/v1/status shows the applied revision and every backend, with live state from the runtime view", async () => {
    const { app } = makeApp({
      runtime: {
        backendHealth: (pool, address) => (pool === "app" && address === "10.0.0.2:80" ? "unhealthy" : "healthy"),
        backendStats: (_pool, address) => (address === "10.0.0.1:80" ? { active_connections: 3, requests_total: 40 } : undefined),
        listeners: () => [{ name: "web", address: "127.0.0.1:8080", bound: true }],
      },
    });
    await call(app, "PUT", "/v1/config", baseDoc());
    const s = (await call(app, "GET", "/v1/status")).body;
    expect(s).toMatchObject({ revision: 1, stored_revision: 1, ready: true });
    expect(s.listeners).toEqual([{ name: "web", protocol: "http", address: "127.0.0.1:8080", bound: true }]);
    const app0 = s.pools.find((p: any) => p.name === "app");
    expect(app0.backends).toEqual([
      { address: "10.0.0.1:80", weight: 1, state: "active", source: "config", health: "healthy", active_connections: 3, requests_total: 40 },
      { address: "10.0.0.2:80", weight: 2, state: "active", source: "config", health: "unhealthy" },
    ]);
    expect(s.pools.map((p: any) => p.name).sort()).toEqual(["api", "app", "spare"]);
  });

  test("/v1/status without a runtime view reports health unknown", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const s = (await call(app, "GET", "/v1/status")).body;
    expect(s.pools[0].backends[0].health).toBe("unknown");
  });

  test("/v1/revisions lists the history newest first; a bad limit is 400", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    await call(app, "PATCH", "/v1/pools/app", { algorithm: "random" });
    const r = (await call(app, "GET", "/v1/revisions")).body.revisions;
    expect(r.map((e: any) => e.revision)).toEqual([2, 1]);
    expect(typeof r[0].at).toBe("string");
    expect(typeof r[0].summary).toBe("string");
    expect((await call(app, "GET", "/v1/revisions?limit=1")).body.revisions.length).toBe(1);
    expect((await call(app, "GET", "/v1/revisions?limit=0")).body.error.code).toBe("INVALID_REQUEST");
  });

  test("/v1/pools/{name}/table counts a Maglev table's slots per backend; a non-hashing pool is 400", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const t = await call(app, "GET", "/v1/pools/api/table?slots=true");
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ pool: "api", algorithm: "maglev", revision: 1, table_size: 251, empty_slots: 0 });
    const slots = t.body.backends.map((b: any) => b.slots);
    expect(slots.reduce((a: number, b: number) => a + b, 0)).toBe(251);
    // Maglev spreads equal weights within one slot of each other (the paper's guarantee is near-equal).
    expect(Math.abs(slots[0] - slots[1])).toBeLessThanOrEqual(2);
    expect(t.body.table.length).toBe(251);
    expect(t.body.table.filter((i: number) => i === 0).length).toBe(slots[0]);
    const rr = await call(app, "GET", "/v1/pools/app/table");
    expect(rr.status).toBe(400);
    expect(rr.body.error.code).toBe("INVALID_REQUEST");
  });

  test("/metrics serves Prometheus text with the config revision, writes and requests by code", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    await call(app, "GET", "/v1/pools/nope");
    await call(app, "PUT", "/v1/config", { pools: "bad" });
    const m = await call(app, "GET", "/metrics");
    expect(m.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(m.text).toContain("# TYPE fulcrum_config_revision gauge\nfulcrum_config_revision 1\n");
    expect(m.text).toContain('fulcrum_config_writes_total{result="applied"} 1');
    expect(m.text).toContain('fulcrum_config_writes_total{result="rejected"} 1');
    expect(m.text).toContain('fulcrum_admin_requests_total{method="PUT",code="200"} 1');
    expect(m.text).toContain('fulcrum_admin_requests_total{method="GET",code="404"} 1');
    expect(m.text).toContain('fulcrum_admin_requests_total{method="PUT",code="400"} 1');
    expect(m.text).toContain("fulcrum_admin_request_duration_seconds_bucket");
  });
});
