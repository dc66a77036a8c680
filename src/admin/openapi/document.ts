/**
 * GET /v1/openapi.json: the admin API described as OpenAPI 3.1, built from the operations mounted
 * on the app (src/admin/operation.ts) and the zod schemas that validate them, so nothing is written
 * twice. Paths, methods, path and query parameters (each one the endpoint takes, and no other: the
 * rest are a 400), headers, bodies, answers and their error codes all come from the Operation.
 *
 * Adding an endpoint is one declaration beside its handler:
 *
 *   mountOperation(app, {
 *     method: "get", path: "/v1/cluster", operationId: "getCluster", tag: "cluster",
 *     summary: "Live nodes and the revision each applied",
 *     query: z.strictObject({ ... }),                 // optional; parsed before the handler runs
 *     replies: { 200: { description: "...", content: { types: ["application/json"], schema: ClusterSchema } } },
 *     errors: ["CLUSTER_UNAVAILABLE"],
 *   }, (c, query) => c.json(...));
 *
 * where ClusterSchema is `named("Cluster", z.strictObject({...}))` (openapi/schemas.ts). A new
 * query parameter on an existing endpoint is a field of its query schema (every write's is
 * WriteQuerySchema in src/admin/query.ts). The route is then in the description, in OPTIONS and
 * the 405's Allow; test/admin/openapi-routes.test.ts fails for a route mounted any other way.
 */
import type { Operation, RequestBody } from "../operation.ts";
import { errorResponses } from "./errors.ts";
import { REQUEST_HEADERS, RESPONSE_HEADERS, requestHeaderRef, responseHeaderRefs } from "./headers.ts";
import { mergePatchSchema } from "./merge-patch.ts";
import { parameters } from "./parameters.ts";
import { componentSchemas, inlineSchema, refTo, type JsonSchema } from "./schemas.ts";

/** What the description says about the API as a whole. */
const INFO_DESCRIPTION = [
  "Fulcrum's admin API: the config document and its resources (listeners, routes, pools, backends, certificates), runtime state, metrics and probes.",
  "",
  "- Every write is validated whole (including whether this node can bind each new listener address) before anything is stored, answers the new `revision` (also as `ETag`), and takes `?dry_run=true`.",
  "- A query parameter an endpoint does not list is a 400 naming it; so is one given twice (lists excepted).",
  "- Errors are `{\"error\": {\"code\", \"message\", \"details\"?}}`; each answer lists the codes it may carry.",
  "- With a token configured (FULCRUM_ADMIN_TOKEN) every path but those marked with no security needs `Authorization: Bearer <token>`; this description too.",
  "- Every path answers OPTIONS (204 with `Allow`) and a method it does not serve with 405 METHOD_NOT_ALLOWED and `Allow`; GET paths answer HEAD. A trailing slash is ignored.",
].join("\n");

/** `/v1/pools/:name` → `/v1/pools/{name}`; a trailing `*` is `{path}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\/\*$/, "/{path}");
}

/**
 * The body's schema: a `$ref` to its named schema, or to one derived from it and named after it
 * (PoolPatch, PoolReplacement), so the body's media types share one schema.
 */
function bodySchema(op: Operation, body: RequestBody, schemas: Record<string, JsonSchema>): JsonSchema {
  if (!body.schema) return { type: "string" };
  const ref = refTo(body.schema, `${op.operationId} request body`);
  const id = String(ref.$ref).split("/").pop()!;
  if (body.patch) {
    schemas[`${id}Patch`] ??= { ...mergePatchSchema(schemas[id]!), description: `A JSON Merge Patch (RFC 7396) of ${id}: a field left out is kept, null removes it.` };
    return { $ref: `#/components/schemas/${id}Patch` };
  }
  const optional = body.optional ?? [];
  if (optional.length === 0) return ref;
  const base = schemas[id]!;
  schemas[`${id}Replacement`] ??= {
    ...base,
    description: `${id}, where ${optional.join(", ")} may be left out: the path gives it.`,
    required: ((base.required as string[] | undefined) ?? []).filter((f) => !optional.includes(f)),
  };
  return { $ref: `#/components/schemas/${id}Replacement` };
}

function requestBody(op: Operation, body: RequestBody, schemas: Record<string, JsonSchema>): JsonSchema {
  const media = { schema: bodySchema(op, body, schemas), ...(body.example === undefined ? {} : { example: body.example }) };
  return {
    required: true,
    ...(body.description ? { description: body.description } : {}),
    content: Object.fromEntries(body.types.map((t) => [t, media])),
  };
}

function responses(op: Operation): JsonSchema {
  const out: JsonSchema = {};
  for (const [status, reply] of Object.entries(op.replies)) {
    const content = reply.content;
    const schema = content?.schema ? refTo(content.schema, `${op.operationId} answer ${status}`) : { type: "string" };
    const media = { schema, ...(content?.example === undefined ? {} : { example: content.example }) };
    out[status] = {
      description: reply.description,
      ...(reply.headers?.length ? { headers: responseHeaderRefs(reply.headers) } : {}),
      ...(content ? { content: Object.fromEntries(content.types.map((t) => [t, media])) } : {}),
    };
  }
  return { ...out, ...errorResponses(op) };
}

function operationObject(op: Operation, schemas: Record<string, JsonSchema>): JsonSchema {
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.public ? { security: [] } : {}),
    parameters: [...parameters(op, inlineSchema), ...(op.headers ?? []).map(requestHeaderRef)],
    ...(op.body ? { requestBody: requestBody(op, op.body, schemas) } : {}),
    responses: responses(op),
  };
}

/** The OpenAPI 3.1 document for `ops` (the operations of one app); `version` is Fulcrum's. */
export function openApiDocument(ops: readonly Operation[], version: string): JsonSchema {
  const schemas = componentSchemas();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of ops) (paths[openApiPath(op.path)] ??= {})[op.method] = operationObject(op, schemas);
  const tags = [...new Set(ops.map((o) => o.tag))].map((name) => ({ name }));
  return {
    openapi: "3.1.0",
    info: { title: "Fulcrum admin API", version, description: INFO_DESCRIPTION },
    tags,
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas,
      parameters: REQUEST_HEADERS,
      headers: RESPONSE_HEADERS,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The node's FULCRUM_ADMIN_TOKEN. Without one configured, the admin API is open (and binds loopback only)." },
      },
    },
  };
}
