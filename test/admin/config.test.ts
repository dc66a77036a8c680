import { describe, expect, test } from "bun:test";
import { parse as parseYaml } from "yaml";
import { baseDoc, call, makeApp, makeCert } from "./setup.ts";

describe("/v1/config", () => {
  test("an empty store reads as an empty document at revision 0", async () => {
    const { app } = makeApp();
    const r = await call(app, "GET", "/v1/config");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ listeners: [], pools: [], certificates: [] });
    expect(r.headers.get("etag")).toBe('"0"');
  });

  test("PUT replaces the document atomically and answers the revision, the ETag and the diff", async () => {
    const { app, holder } = makeApp();
    const r = await call(app, "PUT", "/v1/config", baseDoc());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ revision: 1, changed: true });
    expect(r.headers.get("etag")).toBe('"1"');
    expect(Array.isArray(r.body.diff) && r.body.diff.length > 0).toBe(true);
    expect(holder.current()?.revision).toBe(1);
    const doc = (await call(app, "GET", "/v1/config")).body;
    expect(doc.pools.map((p: any) => p.name)).toEqual(["app", "api", "spare"]);
    // A document with one bad field changes nothing at all.
    const bad = baseDoc();
    bad.pools[0].backends.push({ address: "not an address" });
    bad.pools.push({ name: "new" });
    expect((await call(app, "PUT", "/v1/config", bad)).status).toBe(400);
    expect((await call(app, "GET", "/v1/config")).body).toEqual(doc);
    expect(holder.current()?.revision).toBe(1);
  });

  test("dry_run validates and reports the diff without writing", async () => {
    const { app, store } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const next = baseDoc();
    next.pools[0].backends.push({ address: "10.0.0.3:80" });
    const r = await call(app, "PUT", "/v1/config?dry_run=true", next);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ revision: 1, changed: true, dry_run: true });
    expect(r.body.diff.join("\n")).toContain("10.0.0.3:80");
    expect(store.read().revision).toBe(1);
    expect((await call(app, "GET", "/v1/pools/app/backends")).body.backends.length).toBe(2);
    const bad = await call(app, "PUT", "/v1/config?dry_run=true", { pools: [{ name: "x", table_size: 4 }] });
    expect(bad.body.error.code).toBe("CONFIG_INVALID");
    const unclear = await call(app, "PUT", "/v1/config?dry_run=maybe", next);
    expect(unclear.body.error.code).toBe("INVALID_REQUEST");
    expect(store.read().revision).toBe(1);
  });

  test("YAML in with application/yaml or text/yaml, YAML out when Accept asks", async () => {
    const { app } = makeApp();
    const yaml = "pools:\n  - name: app\n    backends:\n      - address: 10.0.0.1:80\n";
    const put = await call(app, "PUT", "/v1/config", yaml, { "content-type": "text/yaml" });
    expect(put.status).toBe(200);
    const out = await call(app, "GET", "/v1/config", undefined, { accept: "application/yaml" });
    expect(out.headers.get("content-type")).toContain("application/yaml");
    const parsed = parseYaml(out.text);
    expect(parsed.pools[0]).toMatchObject({ name: "app", backends: [{ address: "10.0.0.1:80", weight: 1 }] });
    const again = await call(app, "PUT", "/v1/config", out.text, { "content-type": "application/yaml; charset=utf-8" });
    expect(again.body).toMatchObject({ revision: 1, changed: false });
  });

  test("what GET returns, PUT accepts unchanged without moving the revision (certificates included)", async () => {
    const { app } = makeApp();
    const doc = baseDoc();
    doc.certificates = [{ name: "site", ...makeCert("site.test") }];
    doc.listeners.push({ name: "tls", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["site"] } });
    expect((await call(app, "PUT", "/v1/config", doc)).body.revision).toBe(1);
    const json = (await call(app, "GET", "/v1/config")).body;
    expect((await call(app, "PUT", "/v1/config", json)).body).toMatchObject({ revision: 1, changed: false });
    const yaml = (await call(app, "GET", "/v1/config", undefined, { accept: "text/yaml" })).text;
    expect((await call(app, "PUT", "/v1/config", yaml, { "content-type": "application/yaml" })).body).toMatchObject({ revision: 1, changed: false });
  });

  test("GETs change nothing", async () => {
    const { app, store } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    for (const p of ["/v1/config", "/v1/pools", "/v1/pools/app", "/v1/status", "/v1/revisions", "/metrics", "/v1/pools/api/table"]) {
      expect((await call(app, "GET", p)).status).toBe(200);
    }
    expect(store.read().revision).toBe(1);
    expect(store.history().length).toBe(1);
  });
});
