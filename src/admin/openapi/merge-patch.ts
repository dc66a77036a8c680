/**
 * The schema of a JSON Merge Patch (RFC 7396) body, derived from the schema of the resource it
 * patches: every field may be left out (kept) or null (removed, then refilled by its default),
 * objects merge field by field so the same holds inside them, and arrays replace wholesale so their
 * items keep the resource's schema. The patched resource is then validated whole, as a PUT is.
 */
import type { JsonSchema } from "./schemas.ts";

function isObjectSchema(s: JsonSchema): boolean {
  return s.type === "object" && typeof s.properties === "object" && s.properties !== null;
}

/** `s` without `default`: in a patch, a field left out keeps its value rather than taking the default. */
function withoutDefault(s: JsonSchema): JsonSchema {
  const { default: _dropped, ...rest } = s;
  return rest;
}

/** The merge-patch form of object schema `s` (any other schema is returned as it is). */
export function mergePatchSchema(s: JsonSchema): JsonSchema {
  if (!isObjectSchema(s)) return s;
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(s.properties as Record<string, JsonSchema>)) {
    const patched = isObjectSchema(field) ? mergePatchSchema(field) : withoutDefault(field);
    properties[name] = { anyOf: [patched, { type: "null" }] };
  }
  const { required: _all, default: _none, ...rest } = s;
  return { ...rest, properties };
}
