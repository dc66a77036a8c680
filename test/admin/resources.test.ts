import { describe, expect, test } from "bun:test";
import { baseDoc, call, makeApp, makeCert } from "./setup.ts";

describe("pools", () => {
  test("create, read, replace, patch and delete one pool, each write answering its revision", async () => {
    const { app } = makeApp();
    expect((await call(app, "GET", "/v1/pools")).body).toEqual({ pools: [] });

    const created = await call(app, "POST", "/v1/pools", { name: "app", backends: [{ address: "10.0.0.1:80" }] });
    expect(created.status).toBe(201);
    expect(created.body.revision).toBe(1);
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.headers.get("location")).toBe("/v1/pools/app");
    // Reads show the pool as it stands in the document: defaults filled, backends inside.
    expect(created.body.pool).toMatchObject({ name: "app", algorithm: "round_robin", backends: [{ address: "10.0.0.1:80", weight: 1, state: "active" }] });

    const got = await call(app, "GET", "/v1/pools/app");
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body.pool);
    expect(got.headers.get("etag")).toBe('"1"');

    const replaced = await call(app, "PUT", "/v1/pools/app", { algorithm: "maglev", table_size: 251, backends: [{ address: "10.0.0.9:80" }] });
    expect(replaced.status).toBe(200);
    expect(replaced.body.revision).toBe(2);
    expect(replaced.body.pool).toMatchObject({ name: "app", algorithm: "maglev", table_size: 251, backends: [{ address: "10.0.0.9:80" }] });

    const patched = await call(app, "PATCH", "/v1/pools/app", { algorithm: "random", table_size: null, hash_on: null }, { "content-type": "application/merge-patch+json" });
    expect(patched.status).toBe(200);
    expect(patched.body.revision).toBe(3);
    expect(patched.body.pool.algorithm).toBe("random");
    expect(patched.body.pool.table_size).toBeUndefined();
    expect(patched.body.pool.backends).toEqual([{ address: "10.0.0.9:80", weight: 1, state: "active" }]);

    const deleted = await call(app, "DELETE", "/v1/pools/app");
    expect(deleted.status).toBe(200);
    expect(deleted.body.revision).toBe(4);
    expect(deleted.headers.get("etag")).toBe('"4"');
    expect((await call(app, "GET", "/v1/pools/app")).body.error.code).toBe("POOL_NOT_FOUND");
  });

  test("a write that changes nothing keeps the revision", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const before = (await call(app, "GET", "/v1/pools/app")).body;
    const again = await call(app, "PUT", "/v1/pools/app", before);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ revision: 1, changed: false });
  });
});

describe("backends", () => {
  test("are addressed by URL-encoded address, IPv6 in brackets, and read back inside their pool", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const v6 = encodeURIComponent("[::1]:8080");
    const got = await call(app, "GET", `/v1/pools/api/backends/${v6}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ address: "[::1]:8080", weight: 1, state: "active" });

    const added = await call(app, "POST", "/v1/pools/api/backends", { address: "10.0.1.2:80", weight: 3 });
    expect(added.status).toBe(201);
    expect(added.headers.get("location")).toBe(`/v1/pools/api/backends/${encodeURIComponent("10.0.1.2:80")}`);
    const drained = await call(app, "PATCH", `/v1/pools/api/backends/${v6}`, { state: "draining" });
    expect(drained.body.backend).toEqual({ address: "[::1]:8080", weight: 1, state: "draining" });
    const replaced = await call(app, "PUT", "/v1/pools/api/backends/10.0.1.2:80", { weight: 5 });
    expect(replaced.body.backend).toEqual({ address: "10.0.1.2:80", weight: 5, state: "active" });

    const pool = (await call(app, "GET", "/v1/pools/api")).body;
    expect(pool.backends.map((b: any) => `${b.address}/${b.weight}/${b.state}`)).toEqual([
      "10.0.1.1:80/1/active",
      "[::1]:8080/1/draining",
      "10.0.1.2:80/5/active",
    ]);
    expect((await call(app, "GET", "/v1/pools/api/backends")).body.backends).toEqual(pool.backends);

    expect((await call(app, "DELETE", `/v1/pools/api/backends/${v6}`)).status).toBe(200);
    expect((await call(app, "GET", `/v1/pools/api/backends/${v6}`)).body.error.code).toBe("BACKEND_NOT_FOUND");
    expect((await call(app, "GET", "/v1/pools/nope/backends")).body.error.code).toBe("POOL_NOT_FOUND");
  });
});

describe("listeners and routes", () => {
  test("routes live inside their listener, in order", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const created = await call(app, "POST", "/v1/listeners/web/routes", { name: "static", match: { path_prefix: "/static" }, pool: "app" });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/listeners/web/routes/static");
    const listener = (await call(app, "GET", "/v1/listeners/web")).body;
    expect(listener.routes.map((r: any) => r.name)).toEqual(["api", "static"]);

    const patched = await call(app, "PATCH", "/v1/listeners/web/routes/api", { timeout_ms: 1500 });
    expect(patched.body.route).toMatchObject({ name: "api", pool: "api", timeout_ms: 1500, match: { path_prefix: "/v1" } });
    expect((await call(app, "DELETE", "/v1/listeners/web/routes/static")).status).toBe(200);
    expect((await call(app, "GET", "/v1/listeners/web/routes")).body.routes.map((r: any) => r.name)).toEqual(["api"]);
    expect((await call(app, "GET", "/v1/listeners/web/routes/static")).body.error.code).toBe("ROUTE_NOT_FOUND");
    expect((await call(app, "GET", "/v1/listeners/nope/routes")).body.error.code).toBe("LISTENER_NOT_FOUND");
  });

  test("a listener is created, patched, replaced and deleted", async () => {
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    const created = await call(app, "POST", "/v1/listeners", { name: "db", protocol: "tcp", address: "127.0.0.1:5432", pool: "spare" });
    expect(created.status).toBe(201);
    expect(created.body.listener).toMatchObject({ name: "db", protocol: "tcp", pool: "spare" });
    const patched = await call(app, "PATCH", "/v1/listeners/db", { address: "127.0.0.1:5433" });
    expect(patched.body.listener.address).toBe("127.0.0.1:5433");
    const replaced = await call(app, "PUT", "/v1/listeners/db", { name: "db", protocol: "tcp", address: "127.0.0.1:5434", pool: "app" });
    expect(replaced.body.listener).toMatchObject({ address: "127.0.0.1:5434", pool: "app" });
    expect((await call(app, "GET", "/v1/listeners")).body.listeners.map((l: any) => l.name)).toEqual(["web", "db"]);
    expect((await call(app, "DELETE", "/v1/listeners/db")).status).toBe(200);
    expect((await call(app, "GET", "/v1/listeners/db")).body.error.code).toBe("LISTENER_NOT_FOUND");
  });
});

describe("certificates", () => {
  const site = makeCert("site.test");
  const other = makeCert("other.test");

  test("private keys are write-only: no read path returns them, and writes without one keep it", async () => {
    const { app } = makeApp();
    const created = await call(app, "POST", "/v1/certificates", { name: "site", ...site });
    expect(created.status).toBe(201);
    expect(created.body.certificate).toEqual({ name: "site", cert_pem: site.cert_pem });
    const reads = [
      await call(app, "GET", "/v1/certificates/site"),
      await call(app, "GET", "/v1/certificates"),
      await call(app, "GET", "/v1/config"),
      await call(app, "GET", "/v1/config", undefined, { accept: "application/yaml" }),
    ];
    for (const r of reads) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain("PRIVATE KEY");
      expect(r.text).not.toContain("key_pem");
    }
    // The certificate as read back, written again: same revision, key kept.
    const again = await call(app, "PUT", "/v1/certificates/site", reads[0].body);
    expect(again.body).toMatchObject({ revision: 1, changed: false });
    // A new certificate needs its key; a key that does not match its certificate is refused.
    expect((await call(app, "POST", "/v1/certificates", { name: "nokey", cert_pem: site.cert_pem })).body.error.code).toBe("CONFIG_INVALID");
    const mismatched = await call(app, "PUT", "/v1/certificates/site", { cert_pem: site.cert_pem, key_pem: other.key_pem });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.error.code).toBe("CONFIG_INVALID");
    // Replacing both cert and key works.
    const rotated = await call(app, "PUT", "/v1/certificates/site", { ...other });
    expect(rotated.body).toMatchObject({ revision: 2, changed: true, certificate: { name: "site", cert_pem: other.cert_pem } });
  });

  test("a certificate used by an https listener cannot be deleted", async () => {
    const { app } = makeApp();
    const doc = baseDoc();
    doc.certificates = [{ name: "site", ...site }];
    doc.listeners.push({ name: "tls", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["site"] } });
    expect((await call(app, "PUT", "/v1/config", doc)).status).toBe(200);
    const refused = await call(app, "DELETE", "/v1/certificates/site");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("IN_USE");
    expect(refused.body.error.message).toContain('listener "tls"');
    expect((await call(app, "DELETE", "/v1/listeners/tls")).status).toBe(200);
    expect((await call(app, "DELETE", "/v1/certificates/site")).status).toBe(200);
    expect((await call(app, "GET", "/v1/certificates/site")).body.error.code).toBe("CERTIFICATE_NOT_FOUND");
  });
});
