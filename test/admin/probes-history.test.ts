import { describe, expect, test } from "bun:test";
import { createProbeApp } from "../../src/admin/index.ts";
import { SnapshotHolder } from "../../src/config/index.ts";
import { Registry } from "../../src/obs/index.ts";
import { baseDoc, call, makeApp } from "./setup.ts";

describe("/readyz", () => {
  test("says draining, not 'config not applied', once the node is stopping (issue 12 item 10)", async () => {
    let draining = false;
    const { app } = makeApp({ draining: () => draining });
    await call(app, "PUT", "/v1/config", baseDoc());
    expect((await call(app, "GET", "/readyz")).body).toEqual({ status: "ready", revision: 1 });
    draining = true;
    const r = await call(app, "GET", "/readyz");
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe("DRAINING");
    expect((await call(app, "GET", "/v1/status")).body.ready).toBe(false);
  });
});

describe("the probe app (--metrics)", () => {
  test("serves /metrics, /readyz and /healthz with no token, and nothing else", async () => {
    const registry = new Registry();
    registry.counter("fulcrum_probe_test_total", "A test counter.").inc();
    const holder = new SnapshotHolder();
    const app = createProbeApp({ holder, readiness: () => "not_ready" }, registry);
    expect(await (await app.request("/metrics")).text()).toContain("fulcrum_probe_test_total 1");
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/readyz")).status).toBe(503);
    expect((await app.request("/v1/config")).status).toBe(404);
    expect((await app.request("/metrics", { method: "POST" })).status).toBe(405);
  });
});

describe("/v1/revisions", () => {
  test("each entry says who made the change, and which file for apply -f", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc(), { "fulcrum-config-file": encodeURIComponent("/etc/fulcrum/my conf.yaml") });
    await call(app, "PATCH", "/v1/pools/app", { algorithm: "random" });
    const entries = (await call(app, "GET", "/v1/revisions")).body.revisions;
    expect(entries.map((e: any) => [e.revision, e.source, e.file])).toEqual([
      [2, "api", undefined],
      [1, "file", "/etc/fulcrum/my conf.yaml"],
    ]);
    expect(entries[0].summary).toBe("PATCH /v1/pools/app: pool app: algorithm round_robin -> random");
  });
});
