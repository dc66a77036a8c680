/**
 * Issue 16: /v1/openapi.json describes every route of the Hono app and nothing else, and it is a
 * valid OpenAPI 3.1 document (checked by @readme/openapi-parser, which validates against the 3.1
 * schema and the rules a schema cannot say: unique operationIds, every path parameter defined).
 */
import { describe, expect, test } from "bun:test";
import { validate } from "@readme/openapi-parser";
import { makeApp, call } from "./setup.ts";

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];

/** `/v1/pools/{name}` → `/v1/pools/:name`, `/ui/{path}` → `/ui/*` (the app's own spelling). */
function honoPath(path: string): string {
  return path.replace(/\/\{path\}$/, "/*").replace(/\{([^}]+)\}/g, ":$1");
}

async function described(token?: string): Promise<{ doc: any; ops: Set<string>; paths: Set<string> }> {
  const { app } = makeApp(token ? { token } : {});
  const r = await call(app, "GET", "/v1/openapi.json", undefined, token ? { authorization: `Bearer ${token}` } : {});
  expect(r.status).toBe(200);
  const ops = new Set<string>();
  for (const [path, item] of Object.entries<any>(r.body.paths)) {
    for (const m of Object.keys(item).filter((k) => METHODS.includes(k))) ops.add(`${m.toUpperCase()} ${honoPath(path)}`);
  }
  return { doc: r.body, ops, paths: new Set(Object.keys(r.body.paths).map(honoPath)) };
}

describe("the OpenAPI description", () => {
  test("is a valid OpenAPI 3.1 document", async () => {
    const { doc } = await described();
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc));
    expect(result).toMatchObject({ valid: true, specification: "OpenAPI" });
    expect(result.valid ? result.warnings : result.errors).toEqual([]);
  });

  test("a broken document is refused by the validator (the check can fail)", async () => {
    const { doc } = await described();
    const broken = structuredClone(doc);
    broken.paths["/v1/pools/{name}"].get.parameters = [];
    expect((await validate(broken)).valid).toBe(false);
    const refless = structuredClone(doc);
    refless.paths["/v1/status"].get.responses["200"].content["application/json"].schema = { $ref: "#/components/schemas/Nope" };
    expect((await validate(refless)).valid).toBe(false);
  });

  test("every route of the app is in it, and every operation in it is a route of the app", async () => {
    const { app } = makeApp();
    const { ops, paths } = await described();
    const routes = app.routes.filter((r) => r.method !== "ALL" && r.method !== "OPTIONS").map((r) => `${r.method} ${r.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    expect([...routes].sort()).toEqual([...ops].sort());
    // OPTIONS and the 405 catch-all exist for exactly the described paths; the only other
    // catch-all is the middleware on every path.
    const options = app.routes.filter((r) => r.method === "OPTIONS").map((r) => r.path);
    expect(options.sort()).toEqual([...paths].sort());
    const all = new Set(app.routes.filter((r) => r.method === "ALL").map((r) => r.path));
    expect([...all].sort()).toEqual(["/*", ...paths].sort());
  });

  test("a path's OPTIONS lists the methods the description gives it", async () => {
    const { app } = makeApp();
    const { doc } = await described();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, "x");
      const r = await call(app, "OPTIONS", concrete);
      const allow = (r.headers.get("allow") ?? "").split(", ").sort();
      const methods = Object.keys(item).map((m) => m.toUpperCase());
      const expected = [...methods, "OPTIONS", ...(methods.includes("GET") ? ["HEAD"] : [])].sort();
      expect({ path, allow }).toEqual({ path, allow: expected });
    }
  });

  test("lists exactly the query parameters each endpoint accepts: any other is a 400", async () => {
    const { app } = makeApp();
    const { doc } = await described();
    expect(doc.paths["/v1/revisions"].get.parameters.map((p: any) => p.name)).toEqual(["limit"]);
    expect(doc.paths["/v1/stats/history"].get.parameters.map((p: any) => p.name)).toEqual(["seconds", "scope", "listener", "pool"]);
    expect(doc.paths["/v1/pools/{name}"].delete.parameters.filter((p: any) => p.in === "query").map((p: any) => p.name)).toEqual(["dry_run", "wait", "timeout_ms"]);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const names = op.parameters.filter((p: any) => p.in === "query").map((p: any) => p.name);
        const r = await call(app, method.toUpperCase(), `${path.replace(/\{[^}]+\}/g, "x")}?not_${names.join("_")}=1`);
        expect({ op: op.operationId, status: r.status, code: r.body?.error?.code }).toEqual({ op: op.operationId, status: 400, code: "INVALID_REQUEST" });
        expect(op.responses["400"].content["application/json"].schema.allOf[1].properties.error.properties.code.enum).toContain("INVALID_REQUEST");
      }
    }
  });

  test("the bearer scheme covers every operation but /healthz and the dashboard's files", async () => {
    const { doc } = await described("s3cret");
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const open = Object.entries<any>(doc.paths)
      .filter(([, item]) => Object.values<any>(item).some((op) => Array.isArray(op.security) && op.security.length === 0))
      .map(([path]) => path);
    expect(open.sort()).toEqual(["/", "/dashboard", "/healthz", "/ui", "/ui/{path}"]);
    // The description itself is behind the token, like everything it describes.
    const { app } = makeApp({ token: "s3cret" });
    expect((await call(app, "GET", "/v1/openapi.json")).status).toBe(401);
  });
});
