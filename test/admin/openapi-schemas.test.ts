/**
 * Issue 16: the description is generated from the zod schemas that validate requests, so a field
 * added to the config is described without a second edit; derived bodies (merge patch, a PUT that
 * leaves out the name) say what the endpoint really accepts; and the query flags that were checked
 * by hand are now schemas that refuse what they do not know (`?slots=yes` was silently ignored).
 */
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { BackendSchema, CertificateSchema, ConfigDocSchema, ListenerSchema, PoolSchema, RouteSchema } from "../../src/config/index.ts";
import { parseQuery, WriteQuerySchema } from "../../src/admin/query.ts";
import { baseDoc, call, makeApp } from "./setup.ts";

async function description(): Promise<any> {
  const { app } = makeApp();
  return (await call(app, "GET", "/v1/openapi.json")).body;
}

describe("the description's schemas", () => {
  test("show every field of every config schema, as the config defines it", async () => {
    const schemas = (await description()).components.schemas;
    const shapes: [string, z.ZodObject][] = [
      ["ConfigDoc", ConfigDocSchema],
      ["Listener", ListenerSchema],
      ["Route", RouteSchema],
      ["Pool", PoolSchema.in],
      ["Backend", BackendSchema],
      ["Certificate", CertificateSchema],
    ];
    for (const [id, schema] of shapes) {
      expect({ id, fields: Object.keys(schemas[id].properties).sort() }).toEqual({ id, fields: Object.keys(schema.shape).sort() });
      expect(schemas[id].additionalProperties).toBe(false);
    }
    expect(schemas.Pool.properties.algorithm.enum).toEqual(PoolSchema.in.shape.algorithm.unwrap().options);
    expect(schemas.Listener.properties.routes.items).toEqual({ $ref: "#/components/schemas/Route" });
    expect(schemas.ConfigDoc.properties.pools.items).toEqual({ $ref: "#/components/schemas/Pool" });
  });

  test("a PATCH body is a merge patch of the resource: nothing required, null allowed, nested objects too", async () => {
    const doc = await description();
    const op = doc.paths["/v1/pools/{name}"].patch;
    expect(Object.keys(op.requestBody.content)).toEqual(["application/merge-patch+json", "application/json"]);
    expect(op.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PoolPatch" });
    const patch = doc.components.schemas.PoolPatch;
    expect(patch.required).toBeUndefined();
    expect(patch.additionalProperties).toBe(false);
    expect(patch.properties.algorithm.anyOf[1]).toEqual({ type: "null" });
    expect(patch.properties.algorithm.anyOf[0].default).toBeUndefined();
    const health = patch.properties.health_check.anyOf[0];
    expect(health.required).toBeUndefined();
    expect(health.properties.interval_ms.anyOf).toHaveLength(2);
    expect(patch.properties.backends.anyOf[0].items).toEqual({ $ref: "#/components/schemas/Backend" });
  });

  test("a PUT body may leave out the name the path gives, and the server takes it so", async () => {
    const doc = await description();
    expect(doc.paths["/v1/pools/{name}"].put.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PoolReplacement" });
    expect(doc.components.schemas.PoolReplacement.required ?? []).not.toContain("name");
    expect(doc.components.schemas.Pool.required).toContain("name");
    expect(doc.components.schemas.BackendReplacement.required ?? []).not.toContain("address");
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    expect((await call(app, "PUT", "/v1/pools/spare", { algorithm: "random" })).status).toBe(200);
  });

  test("each error answer lists its codes, at the status src/errors.ts gives them", async () => {
    const doc = await description();
    const responses = doc.paths["/v1/pools/{name}"].delete.responses;
    const codes = (status: string) => responses[status].content["application/json"].schema.allOf[1].properties.error.properties.code.enum;
    expect(codes("404")).toEqual(["POOL_NOT_FOUND"]);
    expect(codes("409").sort()).toEqual(["CONFLICT", "IN_USE"]);
    expect(codes("412")).toEqual(["PRECONDITION_FAILED"]);
    expect(codes("503")).toEqual(["CLUSTER_UNAVAILABLE"]);
    expect(responses["401"].headers["WWW-Authenticate"]).toEqual({ $ref: "#/components/headers/WWW-Authenticate" });
    expect(doc.paths["/healthz"].get.responses["401"]).toBeUndefined();
  });
});

describe("query parameters as schemas", () => {
  test("a flag is true, 1 or bare for yes, absent, false or 0 for no, and anything else is a 400", async () => {
    for (const [raw, want] of [[[], false], [["true"], true], [["1"], true], [[""], true], [["false"], false], [["0"], false]] as const) {
      expect(parseQuery(WriteQuerySchema, raw.length ? { dry_run: [...raw] } : {}).dry_run).toBe(want);
    }
    const { app } = makeApp();
    await call(app, "PUT", "/v1/config", baseDoc());
    expect((await call(app, "GET", "/v1/pools/api/table?slots=1")).body.table).toHaveLength(251);
    expect((await call(app, "GET", "/v1/pools/api/table?slots=false")).body.table).toBeUndefined();
    const yes = await call(app, "GET", "/v1/pools/api/table?slots=yes");
    expect(yes.status).toBe(400);
    expect(yes.body.error).toMatchObject({ code: "INVALID_REQUEST", details: [{ path: "slots" }] });
  });

  test("a list takes repeats and commas; any other parameter given twice is a 400", () => {
    const schema = z.strictObject({ scope: z.array(z.enum(["a", "b", "c"])).optional(), n: z.string().optional() });
    expect(parseQuery(schema, { scope: ["a,b", "c"] }).scope).toEqual(["a", "b", "c"]);
    expect(() => parseQuery(schema, { n: ["1", "2"] })).toThrow('query parameter "n" is given 2 times');
    expect(() => parseQuery(schema, { x: ["1", "2"] })).toThrow('unknown query parameter "x" (accepted: scope, n)');
    expect(() => parseQuery(z.strictObject({}), { x: [""] })).toThrow("this endpoint takes none");
  });
});
