import { describe, expect, test } from "bun:test";
import { baseDoc, call, makeApp } from "./setup.ts";

async function seeded(opts: Parameters<typeof makeApp>[0] = {}) {
  const t = makeApp(opts);
  const r = await call(t.app, "PUT", "/v1/config", baseDoc());
  expect(r.status).toBe(200);
  return t;
}

function expectError(r: { status: number; body: any; text: string }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(typeof r.body.error.message).toBe("string");
}

describe("admin API errors", () => {
  test("an unknown path is a JSON 404 NOT_FOUND", async () => {
    const { app } = await seeded();
    expectError(await call(app, "GET", "/v1/nope"), 404, "NOT_FOUND");
    expectError(await call(app, "GET", "/nope"), 404, "NOT_FOUND");
  });

  test("a known path with the wrong verb is 405 with Allow", async () => {
    const { app } = await seeded();
    const r = await call(app, "DELETE", "/v1/config");
    expectError(r, 405, "METHOD_NOT_ALLOWED");
    expect(r.headers.get("allow")).toBe("GET, HEAD, PUT, OPTIONS");
    expectError(await call(app, "POST", "/v1/status"), 405, "METHOD_NOT_ALLOWED");
    expectError(await call(app, "PUT", "/v1/pools", {}), 405, "METHOD_NOT_ALLOWED");
    expectError(await call(app, "POST", "/v1/pools/app/table"), 405, "METHOD_NOT_ALLOWED");
  });

  test("unknown names are 404 with the resource's code", async () => {
    const { app } = await seeded();
    expectError(await call(app, "GET", "/v1/pools/nope"), 404, "POOL_NOT_FOUND");
    expectError(await call(app, "PATCH", "/v1/pools/nope", { algorithm: "random" }), 404, "POOL_NOT_FOUND");
    expectError(await call(app, "DELETE", "/v1/listeners/nope"), 404, "LISTENER_NOT_FOUND");
    expectError(await call(app, "PUT", "/v1/listeners/web/routes/nope", { pool: "app" }), 404, "ROUTE_NOT_FOUND");
    expectError(await call(app, "POST", "/v1/listeners/nope/routes", { name: "r", pool: "app" }), 404, "LISTENER_NOT_FOUND");
    expectError(await call(app, "DELETE", "/v1/pools/app/backends/10.9.9.9:80"), 404, "BACKEND_NOT_FOUND");
    expectError(await call(app, "GET", "/v1/certificates/nope"), 404, "CERTIFICATE_NOT_FOUND");
    expectError(await call(app, "GET", "/v1/pools/nope/table"), 404, "POOL_NOT_FOUND");
  });

  test("creating an existing name is 409 ALREADY_EXISTS", async () => {
    const { app } = await seeded();
    expectError(await call(app, "POST", "/v1/pools", { name: "app" }), 409, "ALREADY_EXISTS");
    expectError(await call(app, "POST", "/v1/pools/app/backends", { address: "10.0.0.1:80" }), 409, "ALREADY_EXISTS");
    expectError(await call(app, "POST", "/v1/listeners/web/routes", { name: "api", pool: "app" }), 409, "ALREADY_EXISTS");
  });

  test("deleting a pool still referenced is 409 IN_USE naming the referrer", async () => {
    const { app } = await seeded();
    const byListener = await call(app, "DELETE", "/v1/pools/app");
    expectError(byListener, 409, "IN_USE");
    expect(byListener.body.error.message).toContain('listener "web"');
    const byRoute = await call(app, "DELETE", "/v1/pools/api");
    expectError(byRoute, 409, "IN_USE");
    expect(byRoute.body.error.message).toContain('route "api"');
    await call(app, "POST", "/v1/listeners", {
      name: "edge", protocol: "tls_passthrough", address: "127.0.0.1:8443", pool: "app",
      sni: [{ names: ["a.example.com"], pool: "spare" }],
    });
    const bySni = await call(app, "DELETE", "/v1/pools/spare");
    expectError(bySni, 409, "IN_USE");
    expect(bySni.body.error.message).toContain("SNI");
  });

  test("a bad field is 400 CONFIG_INVALID with its path in details", async () => {
    const { app } = await seeded();
    const r = await call(app, "PATCH", "/v1/pools/api", { table_size: 1000 });
    expectError(r, 400, "CONFIG_INVALID");
    expect(r.body.error.details.some((d: any) => String(d.path).includes("table_size"))).toBe(true);
    const typo = await call(app, "POST", "/v1/pools", { name: "x", algoritm: "random" });
    expectError(typo, 400, "CONFIG_INVALID");
    expect(JSON.stringify(typo.body.error.details)).toContain("algoritm");
    const dangling = await call(app, "PATCH", "/v1/listeners/web", { pool: "ghost" });
    expectError(dangling, 400, "CONFIG_INVALID");
    expectError(await call(app, "PUT", "/v1/config", { listeners: "no" }), 400, "CONFIG_INVALID");
  });

  test("renaming through PUT or PATCH is 400 INVALID_REQUEST; a non-object body too", async () => {
    const { app } = await seeded();
    expectError(await call(app, "PUT", "/v1/pools/app", { name: "other" }), 400, "INVALID_REQUEST");
    expectError(await call(app, "PATCH", "/v1/pools/app", { name: "other" }), 400, "INVALID_REQUEST");
    expectError(await call(app, "POST", "/v1/pools", [1, 2]), 400, "INVALID_REQUEST");
  });

  test("malformed JSON is 400 INVALID_JSON; malformed YAML is 400 INVALID_YAML", async () => {
    const { app } = await seeded();
    expectError(await call(app, "POST", "/v1/pools", '{"name": "x",'), 400, "INVALID_JSON");
    expectError(await call(app, "PUT", "/v1/config", ""), 400, "INVALID_JSON");
    expectError(await call(app, "PUT", "/v1/config", "pools: [a, b\n  c: :", { "content-type": "application/yaml" }), 400, "INVALID_YAML");
  });

  test("a write with the wrong content type is 415", async () => {
    const { app } = await seeded();
    expectError(await call(app, "POST", "/v1/pools", '{"name":"x"}', { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectError(await call(app, "PATCH", "/v1/pools/app", "algorithm: random", { "content-type": "application/yaml" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    const noType = await app.request("/v1/pools", { method: "POST", body: '{"name":"x"}' });
    expect(noType.status).toBe(415);
  });

  test("a body over the limit is 413, by Content-Length and while streaming", async () => {
    const { app, store } = await seeded({ bodyLimit: 1024 });
    const big = JSON.stringify({ name: "big", backends: [], pad: "x".repeat(2000) });
    expectError(await call(app, "POST", "/v1/pools", big), 413, "PAYLOAD_TOO_LARGE");
    const chunks = [new TextEncoder().encode(big.slice(0, 900)), new TextEncoder().encode(big.slice(900))];
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        const next = chunks.shift();
        if (next) ctl.enqueue(next);
        else ctl.close();
      },
    });
    const req = new Request("http://admin/v1/pools", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    expect(req.headers.get("content-length")).toBeNull();
    const res = await app.request(req);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(store.read().revision).toBe(1);
  });

  test("a stale If-Match is 412 and changes nothing; the current one succeeds", async () => {
    const { app, store } = await seeded();
    expectError(await call(app, "PATCH", "/v1/pools/app", { algorithm: "random" }, { "if-match": '"0"' }), 412, "PRECONDITION_FAILED");
    expectError(await call(app, "DELETE", "/v1/listeners/web/routes/api", undefined, { "if-match": '"7"' }), 412, "PRECONDITION_FAILED");
    expectError(await call(app, "PUT", "/v1/config", baseDoc(), { "if-match": "W/\"5\"" }), 412, "PRECONDITION_FAILED");
    expect(store.read().revision).toBe(1);
    const etag = (await call(app, "GET", "/v1/pools/app")).headers.get("etag")!;
    const ok = await call(app, "PATCH", "/v1/pools/app", { algorithm: "random" }, { "if-match": etag });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toBe('"2"');
    expectError(await call(app, "PATCH", "/v1/pools/app", { algorithm: "round_robin" }, { "if-match": etag }), 412, "PRECONDITION_FAILED");
    expect((await call(app, "PATCH", "/v1/pools/app", { algorithm: "round_robin" }, { "if-match": "*" })).status).toBe(200);
  });

  test("an unexpected failure is 500 INTERNAL with no stack trace", async () => {
    const { app } = await seeded({
      runtime: {
        backendHealth() {
          throw new Error("boom at secret/place.ts:12");
        },
      },
    });
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...a: unknown[]) => void logged.push(a);
    try {
      const r = await call(app, "GET", "/v1/status");
      expectError(r, 500, "INTERNAL");
      expect(r.text).not.toContain("boom");
      expect(r.text).not.toContain(".ts");
    } finally {
      console.error = original;
    }
    expect(logged.length).toBe(1);
  });
});

describe("hostile bodies", () => {
  test("deep nesting is 400, never a stack overflow", async () => {
    const { app } = await seeded();
    const deep = '{"a":'.repeat(200_000) + "1" + "}".repeat(200_000);
    for (const [method, path] of [["PATCH", "/v1/pools/app"], ["PUT", "/v1/config"], ["POST", "/v1/pools"]]) {
      expectError(await call(app, method, path, deep), 400, "INVALID_REQUEST");
    }
  });

  test("YAML alias bombs and self-referencing aliases are 400", async () => {
    const { app } = await seeded();
    const rows = ["a: &a [x,x,x,x,x,x,x,x,x]"];
    for (const [n, p] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) rows.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(",")}]`);
    const yaml = { "content-type": "application/yaml" };
    expectError(await call(app, "PUT", "/v1/config", rows.join("\n"), yaml), 400, "INVALID_YAML");
    const cyclic = await call(app, "PUT", "/v1/config", "pools: &p [{ name: x, backends: *p }]\n", yaml);
    expect(cyclic.status).toBe(400);
  });

  test("a body that is not a document is 400 CONFIG_INVALID", async () => {
    const { app } = await seeded();
    for (const body of ["null", "1", '"x"', "[]"]) expectError(await call(app, "PUT", "/v1/config", body), 400, "CONFIG_INVALID");
  });
});
