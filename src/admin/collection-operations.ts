/**
 * The six operations of a resource collection (list, get, create, replace, patch, delete) as the
 * description shows them, made from its CollectionSpec: the item's config schema is the body of
 * its writes and the answer of its reads, so a field added to the config is described at once.
 */
import { z } from "zod";
import { ListenerSchema } from "../config/index.ts";
import type { ErrorCode } from "../errors.ts";
import type { CollectionSpec } from "./collection-spec.ts";
import { named } from "./openapi/schemas.ts";
import type { Operation } from "./operation.ts";
import { NO_QUERY, WriteQuerySchema } from "./query.ts";
import { WriteResultSchema } from "./write.ts";

type ReadOp = Operation<typeof NO_QUERY>;
type WriteOp = Operation<typeof WriteQuerySchema>;

export interface CollectionOperations {
  list: ReadOp;
  get: ReadOp;
  create: WriteOp;
  replace: WriteOp;
  patch: WriteOp;
  remove: WriteOp;
}

const JSON_TYPES = ["application/json"];
const PATCH_TYPES = ["application/merge-patch+json", "application/json"];
/** What any write may answer besides its own codes. */
const WRITE_ERRORS: readonly ErrorCode[] = ["CONFIG_INVALID", "PRECONDITION_FAILED", "CONFLICT", "CLUSTER_UNAVAILABLE"];

const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Path parameters: the parent's name (nested collections) and, for an item, its key. */
function paramsOf(spec: CollectionSpec, item: boolean): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  if (spec.parent) {
    out[spec.parent.param] = ListenerSchema.shape.name.meta({ description: `The ${spec.parent.kind}'s name.`, examples: [spec.examples.parent] });
  }
  if (item) {
    const encoded = spec.key === "address" ? " (URL-encoded: [::1]:8080 is %5B%3A%3A1%5D%3A8080)" : "";
    out[spec.param] = spec.keySchema.meta({ description: `The ${spec.kind}'s ${spec.key}${encoded}.`, examples: [spec.examples.id] });
  }
  return out;
}

/** What the operations of one collection share: its names, paths and schemas. */
interface Parts {
  spec: CollectionSpec;
  Kind: string;
  item: z.ZodType;
  written: z.ZodType;
  itemPath: string;
  parentMissing: ErrorCode[];
  missing: ErrorCode[];
}

const json = (schema: z.ZodType) => ({ types: JSON_TYPES, schema });
const NOT_MODIFIED = { description: "Not modified (If-None-Match).", headers: ["ETag"] as const };

function reads({ spec, Kind, item, itemPath, parentMissing, missing }: Parts): Pick<CollectionOperations, "list" | "get"> {
  const list = named(`${Kind}List`, z.strictObject({ [spec.plural]: z.array(item) }));
  const read = { tag: spec.plural, headers: ["If-None-Match"] as const };
  return {
    list: {
      ...read, params: paramsOf(spec, false), method: "get", path: spec.path, operationId: `list${capital(spec.plural)}`, summary: `List the ${spec.plural}`,
      replies: { 200: { description: `The ${spec.plural}, in document order.`, content: json(list), headers: ["ETag"] }, 304: NOT_MODIFIED },
      errors: parentMissing,
    },
    get: {
      ...read, params: paramsOf(spec, true), method: "get", path: itemPath, operationId: `get${Kind}`, summary: `Read one ${spec.kind}`,
      replies: { 200: { description: `The ${spec.kind} as it stands in the document (what its PUT accepts).`, content: json(item), headers: ["ETag"] }, 304: NOT_MODIFIED },
      errors: missing,
    },
  };
}

function writes({ spec, Kind, item, written, itemPath, parentMissing, missing }: Parts): Omit<CollectionOperations, "list" | "get"> {
  const write = { tag: spec.plural, query: WriteQuerySchema, headers: ["If-Match"] as const };
  const changed = (what: string) => ({ description: `${what} (or, a dry run, what would be).`, content: json(written), headers: ["ETag"] as const });
  return {
    create: {
      ...write, params: paramsOf(spec, false), method: "post", path: spec.path, operationId: `create${Kind}`, summary: `Add a ${spec.kind}`,
      description: "If-Match is judged against the collection's ETag.",
      body: { ...json(item), example: spec.examples.create },
      replies: { 201: { description: "Created.", content: json(written), headers: ["ETag", "Location"] }, 200: { description: "A dry run: what the write would do; nothing stored.", content: json(written) } },
      errors: [...parentMissing, "ALREADY_EXISTS", ...WRITE_ERRORS],
    },
    replace: {
      ...write, params: paramsOf(spec, true), method: "put", path: itemPath, operationId: `replace${Kind}`, summary: `Replace one ${spec.kind}`,
      description: `The body may leave out the ${spec.key} (the path names it); a different one is refused (no renames).`,
      body: { ...json(item), optional: [spec.key], example: spec.examples.replace },
      replies: { 200: changed("Replaced") },
      errors: [...missing, ...WRITE_ERRORS],
    },
    patch: {
      ...write, params: paramsOf(spec, true), method: "patch", path: itemPath, operationId: `patch${Kind}`, summary: `Change fields of one ${spec.kind}`,
      body: { types: PATCH_TYPES, schema: item, patch: true, example: spec.examples.patch },
      replies: { 200: changed("Patched") },
      errors: [...missing, ...WRITE_ERRORS],
    },
    remove: {
      ...write, params: paramsOf(spec, true), method: "delete", path: itemPath, operationId: `delete${Kind}`, summary: `Remove one ${spec.kind}`,
      ...(spec.usedBy ? { description: `Refused with 409 IN_USE while anything still references the ${spec.kind}.` } : {}),
      replies: { 200: { ...changed("Removed"), description: "Removed (or, a dry run, what would be); the ETag is the collection's new one.", content: json(WriteResultSchema) } },
      errors: [...missing, ...(spec.usedBy ? (["IN_USE"] as const) : []), ...WRITE_ERRORS],
    },
  };
}

function build(spec: CollectionSpec): CollectionOperations {
  const Kind = capital(spec.kind);
  const item = named(Kind, spec.schema, spec.description);
  const parentMissing: ErrorCode[] = spec.parent ? [spec.parent.kind === "listener" ? "LISTENER_NOT_FOUND" : "POOL_NOT_FOUND"] : [];
  const parts: Parts = {
    spec,
    Kind,
    item,
    written: named(`${Kind}WriteResult`, WriteResultSchema.extend({ [spec.kind]: item })),
    itemPath: `${spec.path}/:${spec.param}`,
    parentMissing,
    missing: [...parentMissing, spec.notFound],
  };
  return { ...reads(parts), ...writes(parts) };
}

const built = new WeakMap<CollectionSpec, CollectionOperations>();

/** The operations of `spec` (made once: their schemas are named components). */
export function collectionOperations(spec: CollectionSpec): CollectionOperations {
  let ops = built.get(spec);
  if (!ops) built.set(spec, (ops = build(spec)));
  return ops;
}
