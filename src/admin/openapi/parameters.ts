/**
 * An operation's path and query parameters as OpenAPI Parameter Objects. Query parameters come
 * from the operation's strict zod object, one per field: exactly what the endpoint takes. A list
 * field is given repeated (`?scope=pool&scope=backend`) or comma-separated.
 */
import type { z } from "zod";
import { isListParam, NO_QUERY } from "../query.ts";
import type { Operation } from "../operation.ts";
import type { JsonSchema } from "./schemas.ts";

/** Path parameter names in Hono syntax, in order; a trailing `*` is `path`. */
export function pathParamNames(honoPath: string): string[] {
  const names = [...honoPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return honoPath.endsWith("/*") ? [...names, "path"] : names;
}

/** A parameter whose description sits beside its schema, not inside it. */
function parameter(name: string, where: "path" | "query", required: boolean, schema: JsonSchema): JsonSchema {
  const { description, ...rest } = schema;
  return { name, in: where, required, ...(description === undefined ? {} : { description }), schema: rest };
}

/** The Parameter Objects of `op`; `toJson` converts a zod schema (schemas.ts inlineSchema). */
export function parameters(op: Operation, toJson: (s: z.ZodType) => JsonSchema): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const name of pathParamNames(op.path)) {
    const schema = op.params?.[name];
    if (!schema) throw new Error(`${op.operationId}: path parameter ${name} is not described (Operation.params)`);
    out.push(parameter(name, "path", true, toJson(schema)));
  }
  const query = op.query ?? NO_QUERY;
  const json = toJson(query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  for (const [name, schema] of Object.entries(json.properties ?? {})) {
    const p = parameter(name, "query", json.required?.includes(name) ?? false, schema);
    out.push(isListParam(query, name) ? { ...p, style: "form", explode: true } : p);
  }
  return out;
}
