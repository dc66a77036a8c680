/**
 * The zod schemas the description shows as `components.schemas`, each under a name: the config
 * schemas that validate writes (ConfigDoc, Listener, Pool, ...) and the shapes of the answers.
 * They are converted with zod's own z.toJSONSchema (JSON Schema 2020-12, OpenAPI 3.1's dialect),
 * in input mode: a resource is described as a write accepts it (defaults may be left out), which
 * is also how it reads back. A schema used inside another named one becomes a `$ref`.
 */
import { z } from "zod";

/** A JSON Schema object as the description holds it. */
export type JsonSchema = Record<string, unknown>;

/**
 * True only when A and B are the same type, optional fields included (mutual assignability would
 * miss one): `const ok: Same<A, B> = true` fails to compile when they drift apart.
 */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const registry = z.registry<{ id: string }>();
const ids = new Map<string, z.ZodType>();
const descriptions = new Map<string, string>();

/**
 * Names `schema` as component `id` (once: another schema under a taken name throws) and returns
 * it. `description` is shown for the component (so the config's schemas need no change to carry one).
 */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  const taken = ids.get(id);
  if (taken === schema) return schema;
  if (taken !== undefined) throw new Error(`schema name ${id} is taken by another schema`);
  if (registry.has(schema)) throw new Error(`schema ${id} is already named ${registry.get(schema)!.id}`);
  ids.set(id, schema);
  registry.add(schema, { id });
  if (description !== undefined) descriptions.set(id, description);
  return schema;
}

/** The component name of `schema`, or undefined when it has none. */
export function nameOf(schema: z.ZodType): string | undefined {
  return registry.get(schema)?.id;
}

/** `$ref` to a named schema; throws naming `where` when it has no name. */
export function refTo(schema: z.ZodType, where: string): JsonSchema {
  const id = nameOf(schema);
  if (id === undefined) throw new Error(`${where}: its schema has no name (wrap it in named())`);
  return { $ref: `#/components/schemas/${id}` };
}

/** JSON Schema formats a validator knows; zod's own (starts_with, includes) say what a pattern already does. */
const FORMATS = new Set(["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uuid", "regex", "int32", "int64"]);

/** Drops what zod adds that a description does not want: per-schema `$schema`/`$id`, unknown formats, ±2^53 bounds. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (typeof value !== "object" || value === null) return value;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "$schema" || k === "$id") continue;
    if (k === "format" && typeof v === "string" && !FORMATS.has(v)) continue;
    if ((k === "minimum" || k === "maximum") && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = clean(v);
  }
  return out;
}

const inlined = new WeakMap<z.ZodType, JsonSchema>();

/** JSON Schema of a schema that is not a component (a query or path parameter), inline; converted once. */
export function inlineSchema(schema: z.ZodType): JsonSchema {
  let json = inlined.get(schema);
  if (json === undefined) inlined.set(schema, (json = clean(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" })) as JsonSchema));
  return json;
}

/** Every named schema as JSON Schema, by name, referring to one another by `$ref`. */
export function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { io: "input", unrepresentable: "any", uri: (id) => `#/components/schemas/${id}` });
  const out: Record<string, JsonSchema> = {};
  for (const id of [...Object.keys(schemas)].sort()) {
    const description = descriptions.get(id);
    out[id] = { ...(description === undefined ? {} : { description }), ...(clean(schemas[id]) as JsonSchema) };
  }
  return out;
}
