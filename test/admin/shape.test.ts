/** Issue 12 item 7: GET, modify, PUT; errors relative to the resource; trailing slash; OPTIONS. */
import { describe, expect, test } from "bun:test";
import { baseDoc, call, makeApp } from "./setup.ts";

async function seeded() {
  const t = makeApp();
  expect((await call(t.app, "PUT", "/v1/config", baseDoc())).status).toBe(200);
  return t;
}

describe("one resource reads as the plain object its PUT accepts", () => {
  test("GET a pool, change a field, PUT it back", async () => {
    const { app } = await seeded();
    const got = await call(app, "GET", "/v1/pools/app");
    expect(got.body).toEqual({
      name: "app",
      algorithm: "round_robin",
      backends: [{ address: "10.0.0.1:80", weight: 1, state: "active" }, { address: "10.0.0.2:80", weight: 2, state: "active" }],
    });
    got.body.backends[1].state = "draining";
    const put = await call(app, "PUT", "/v1/pools/app", got.body, { "if-match": got.headers.get("etag")! });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ revision: 2, changed: true });
    expect((await call(app, "GET", "/v1/pools/app/backends/10.0.0.2:80")).body.state).toBe("draining");
  });

  test("collections read as {plural: [...]}", async () => {
    const { app } = await seeded();
    expect((await call(app, "GET", "/v1/pools")).body.pools.map((p: any) => p.name)).toEqual(["app", "api", "spare"]);
  });
});

describe("errors on one resource name the field relative to it", () => {
  test("a bad field inside the resource is reported at its own path", async () => {
    const { app } = await seeded();
    const backend = await call(app, "POST", "/v1/pools/app/backends", { address: "not an address" });
    expect(backend.status).toBe(400);
    expect(backend.body.error.details.map((d: any) => d.path)).toEqual(["address"]);
    expect(backend.body.error.message).toStartWith("invalid config: address: ");
    const listener = await call(app, "PATCH", "/v1/listeners/web", { address: "nowhere", idle_timeout_ms: -1 });
    expect(listener.body.error.details.map((d: any) => d.path).sort()).toEqual(["address", "idle_timeout_ms"]);
    const route = await call(app, "PUT", "/v1/listeners/web/routes/api", { match: { path_prefix: "/v1" }, pool: "ghost" });
    expect(route.body.error.details.map((d: any) => d.path)).toEqual(["pool"]);
    const typo = await call(app, "POST", "/v1/pools", { name: "x", algoritm: "random" });
    expect(typo.body.error.details.map((d: any) => d.path)).toEqual(["algoritm"]);
  });

  test("the whole document keeps full paths", async () => {
    const { app } = await seeded();
    const doc = baseDoc();
    doc.listeners[0].address = "nowhere";
    expect((await call(app, "PUT", "/v1/config", doc)).body.error.details.map((d: any) => d.path)).toEqual(["listeners[0].address"]);
  });
});

describe("paths and methods", () => {
  test("a trailing slash works", async () => {
    const { app } = await seeded();
    expect((await call(app, "GET", "/v1/pools/")).body.pools).toHaveLength(3);
    expect((await call(app, "GET", "/v1/pools/app/")).body.name).toBe("app");
    expect((await call(app, "GET", "/v1/config/")).status).toBe(200);
    const created = await call(app, "POST", "/v1/pools/", { name: "slash" });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/pools/slash");
    expect((await call(app, "PATCH", "/v1/pools/slash/", { algorithm: "random" })).status).toBe(200);
  });

  test("OPTIONS answers 204 with the allowed methods in Allow", async () => {
    const { app } = await seeded();
    const cases: [string, string][] = [
      ["/v1/config", "GET, HEAD, PUT, OPTIONS"],
      ["/v1/pools", "GET, HEAD, POST, OPTIONS"],
      ["/v1/pools/app", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"],
      ["/v1/pools/app/backends/10.0.0.1:80", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"],
      ["/v1/status", "GET, HEAD, OPTIONS"],
      ["/metrics", "GET, HEAD, OPTIONS"],
    ];
    for (const [path, allow] of cases) {
      const r = await call(app, "OPTIONS", path);
      expect({ path, status: r.status, allow: r.headers.get("allow") }).toEqual({ path, status: 204, allow });
    }
    expect((await call(app, "OPTIONS", "/v1/nope")).status).toBe(404);
    expect((await call(app, "HEAD", "/v1/pools/app")).status).toBe(200);
  });
});
