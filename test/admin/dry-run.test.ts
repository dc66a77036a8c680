/** Issue 12 item 1: every write takes dry_run and writes nothing with it; an unknown query parameter is a 400. */
import { describe, expect, test } from "bun:test";
import { baseDoc, call, makeApp } from "./setup.ts";

async function seeded() {
  const t = makeApp();
  expect((await call(t.app, "PUT", "/v1/config", baseDoc())).status).toBe(200);
  return t;
}

describe("dry_run on every write endpoint", () => {
  test("POST, PUT, PATCH and DELETE with ?dry_run=true answer what would happen and store nothing", async () => {
    const { app, store, holder } = await seeded();
    const held = holder.current();
    const writes: [string, string, unknown, string][] = [
      ["POST", "/v1/pools/app/backends?dry_run=true", { address: "10.0.0.7:80" }, "pool app: backend 10.0.0.7:80 added"],
      ["PUT", "/v1/pools/app/backends/10.0.0.1:80?dry_run=true", { weight: 9 }, "pool app: backend 10.0.0.1:80: weight 1 -> 9"],
      ["PATCH", "/v1/listeners/web?dry_run=1", { idle_timeout_ms: 1234 }, "listener web: idle_timeout_ms set to 1234"],
      ["DELETE", "/v1/pools/spare?dry_run", undefined, "pool spare removed"],
      ["POST", "/v1/pools?dry_run=true", { name: "new" }, "pool new added"],
      ["PUT", "/v1/config?dry_run=true", { pools: [] }, "pool app removed"],
    ];
    for (const [method, path, body, line] of writes) {
      const r = await call(app, method, path, body);
      expect({ path, status: r.status, dry_run: r.body.dry_run, changed: r.body.changed, revision: r.body.revision }).toEqual({
        path,
        status: 200,
        dry_run: true,
        changed: true,
        revision: 1,
      });
      expect(r.body.diff).toContain(line);
      expect(r.headers.get("etag")).toBeNull();
      expect(r.headers.get("location")).toBeNull();
    }
    expect(store.read().revision).toBe(1);
    expect(store.history()).toHaveLength(1);
    expect(holder.current()).toBe(held);
    expect((await call(app, "GET", "/v1/pools/app/backends")).body.backends).toHaveLength(2);
  });

  test("a dry run shows the resource as it would be stored, and is refused as the write would be", async () => {
    const { app } = await seeded();
    const r = await call(app, "POST", "/v1/pools/app/backends?dry_run=true", { address: "10.0.0.7:80" });
    expect(r.body.backend).toEqual({ address: "10.0.0.7:80", weight: 1, state: "active" });
    expect((await call(app, "DELETE", "/v1/pools/app?dry_run=true")).body.error.code).toBe("IN_USE");
    expect((await call(app, "POST", "/v1/pools/app/backends?dry_run=true", { address: "x" })).body.error.code).toBe("CONFIG_INVALID");
  });
});

describe("query parameters are checked like body fields", () => {
  test("?dryrun=true (a typo) is refused with a 400 naming it, and writes nothing", async () => {
    const { app, store } = await seeded();
    const r = await call(app, "PUT", "/v1/config?dryrun=true", { pools: [] });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("INVALID_REQUEST");
    expect(r.body.error.message).toContain('"dryrun"');
    expect(r.body.error.details).toEqual([{ path: "dryrun", message: "unknown query parameter" }]);
    expect((await call(app, "POST", "/v1/pools/app/backends?dryrun=true", { address: "10.0.0.7:80" })).status).toBe(400);
    expect(store.read().revision).toBe(1);
    expect(store.read().doc.listeners).toHaveLength(1);
  });

  test("any endpoint refuses a parameter it does not take", async () => {
    const { app } = await seeded();
    for (const path of [
      "/v1/config?x=1",
      "/v1/pools?dry_run=true",
      "/v1/pools/app?verbose",
      "/v1/pools/app/backends?limit=1",
      "/v1/pools/api/table?slot=true",
      "/v1/status?x",
      "/v1/revisions?limt=5",
      "/metrics?name=x",
      "/readyz?x=1",
      "/healthz?x=1",
    ]) {
      const r = await call(app, "GET", path);
      expect({ path, status: r.status, code: r.body.error.code }).toEqual({ path, status: 400, code: "INVALID_REQUEST" });
    }
    expect((await call(app, "GET", "/v1/revisions?limit=5")).status).toBe(200);
    expect((await call(app, "GET", "/v1/pools/api/table?slots=true")).status).toBe(200);
  });

  test("a parameter given twice, or dry_run with an unclear value, is a 400", async () => {
    const { app, store } = await seeded();
    expect((await call(app, "PUT", "/v1/config?dry_run=true&dry_run=false", { pools: [] })).status).toBe(400);
    expect((await call(app, "DELETE", "/v1/pools/spare?dry_run=maybe")).status).toBe(400);
    expect(store.read().revision).toBe(1);
  });
});
