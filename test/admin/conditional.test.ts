/**
 * Issue 12 item 7 (a resource's ETag is its own revision; If-None-Match gets 304) and issue 11
 * item 8 (If-Match uses the strong comparison: a weak tag never matches).
 */
import { describe, expect, test } from "bun:test";
import { baseDoc, call, makeApp } from "./setup.ts";

async function seeded() {
  const t = makeApp();
  expect((await call(t.app, "PUT", "/v1/config", baseDoc())).status).toBe(200);
  return t;
}
const etagOf = async (app: Parameters<typeof call>[0], path: string) => (await call(app, "GET", path)).headers.get("etag")!;

describe("per-resource ETags", () => {
  test("an edit to another resource does not make a resource's If-Match fail", async () => {
    const { app } = await seeded();
    const tag = await etagOf(app, "/v1/pools/app");
    expect(tag).toBe('"1"');
    expect((await call(app, "PATCH", "/v1/pools/spare", { algorithm: "random" })).body.revision).toBe(2);
    expect((await call(app, "POST", "/v1/pools/api/backends", { address: "10.0.1.9:80" })).body.revision).toBe(3);
    expect(await etagOf(app, "/v1/pools/app")).toBe('"1"');
    const ok = await call(app, "PATCH", "/v1/pools/app", { algorithm: "random" }, { "if-match": tag });
    expect(ok.status).toBe(200);
    expect(ok.body.revision).toBe(4);
    expect(ok.headers.get("etag")).toBe('"4"');
    expect(await etagOf(app, "/v1/pools/app")).toBe('"4"');
    // The document's ETag moves with every change.
    expect(await etagOf(app, "/v1/config")).toBe('"4"');
  });

  test("a pool's ETag moves when one of its backends changes; the other backends' do not", async () => {
    const { app } = await seeded();
    const pool = await etagOf(app, "/v1/pools/app");
    const other = await etagOf(app, "/v1/pools/app/backends/10.0.0.2:80");
    const r = await call(app, "PATCH", "/v1/pools/app/backends/10.0.0.1:80", { weight: 3 }, { "if-match": '"1"' });
    expect(r.headers.get("etag")).toBe('"2"');
    expect(await etagOf(app, "/v1/pools/app/backends/10.0.0.2:80")).toBe(other);
    expect(await etagOf(app, "/v1/pools/app/backends")).toBe('"2"');
    const stale = await call(app, "PUT", "/v1/pools/app", { algorithm: "random", backends: [] }, { "if-match": pool });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe("PRECONDITION_FAILED");
    expect((await call(app, "GET", "/v1/pools/app")).body.backends).toHaveLength(2);
  });

  test("a route's ETag is its own; its listener's covers its routes", async () => {
    const { app } = await seeded();
    await call(app, "POST", "/v1/listeners/web/routes", { name: "b", match: { path_prefix: "/b" }, pool: "app" });
    expect(await etagOf(app, "/v1/listeners/web/routes/api")).toBe('"1"');
    expect(await etagOf(app, "/v1/listeners/web")).toBe('"2"');
    const del = await call(app, "DELETE", "/v1/listeners/web/routes/b", undefined, { "if-match": '"2"' });
    expect(del.status).toBe(200);
    expect(del.headers.get("etag")).toBe('"3"'); // the routes collection (its listener) after the delete
  });
});

describe("If-Match uses the strong comparison (RFC 9110 §13.1.1)", () => {
  test('W/"N" with the current N is 412 and writes nothing, on a resource and on /v1/config', async () => {
    const { app, store } = await seeded();
    const weak = await call(app, "PATCH", "/v1/pools/app", { algorithm: "random" }, { "if-match": 'W/"1"' });
    expect(weak.status).toBe(412);
    expect(weak.body.error.code).toBe("PRECONDITION_FAILED");
    expect((await call(app, "PUT", "/v1/config", baseDoc(), { "if-match": 'W/"1"' })).status).toBe(412);
    expect((await call(app, "DELETE", "/v1/pools/spare", undefined, { "if-match": 'W/"1", "9"' })).status).toBe(412);
    expect(store.read().revision).toBe(1);
    expect((await call(app, "DELETE", "/v1/pools/spare", undefined, { "if-match": 'W/"1", "1"' })).status).toBe(200);
  });
});

describe("If-None-Match on GET", () => {
  test("a matching tag (weak comparison, or *) answers 304 with the ETag and no body; another, 200", async () => {
    const { app } = await seeded();
    for (const path of ["/v1/pools/app", "/v1/pools", "/v1/config", "/v1/pools/app/backends", "/v1/listeners/web/routes/api"]) {
      const tag = await etagOf(app, path);
      for (const header of [tag, `W/${tag}`, `"77", ${tag}`, "*"]) {
        const r = await call(app, "GET", path, undefined, { "if-none-match": header });
        expect({ path, header, status: r.status, body: r.text, etag: r.headers.get("etag") }).toEqual({ path, header, status: 304, body: "", etag: tag });
      }
      expect((await call(app, "GET", path, undefined, { "if-none-match": '"77"' })).status).toBe(200);
    }
  });
});
