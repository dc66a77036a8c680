/**
 * What a resource collection is (CollectionSpec) and the helpers its reads and writes share: how
 * an item is found, named (its resource key) and placed in the document, and which revision a
 * collection answers with.
 */
import type { Context } from "hono";
import type { z } from "zod";
import type { ConfigDoc } from "../config/index.ts";
import { LbError, type ErrorCode } from "../errors.ts";
import { resourceKey, type ResourceKind, type StoredConfig } from "../store/index.ts";
import type { CollectionExamples } from "./routes/examples.ts";

/** One element of a collection, as it stands in the document. */
export type Item = Record<string, unknown>;
/** Path parameters of a request. */
export type Params = Record<string, string>;

/** Describes where a collection lives in the document and how it is addressed. */
export interface CollectionSpec {
  /** The resource kind: messages, resource keys, and the body key of a write's answer ("pool"). */
  kind: ResourceKind;
  /** Body key of a list, and the field of the document or the parent holding it ("pools"). */
  plural: string;
  /** Collection path with Hono params, e.g. "/v1/pools/:pool/backends". */
  path: string;
  /** Path parameter naming one item, e.g. "address". */
  param: string;
  /** Field of an item that identifies it. */
  key: "name" | "address";
  /** The config schema of one item (validates it inside the document; describes it). */
  schema: z.ZodType;
  /** The schema of the identifying field, for the path parameter's description. */
  keySchema: z.ZodType;
  /** What one item is, in a sentence, for the description. */
  description: string;
  /** What the description shows (routes/examples.ts). */
  examples: CollectionExamples;
  /** Code of the 404 for an unknown item. */
  notFound: ErrorCode;
  /** For a nested collection: the parent's kind, path parameter and document field. */
  parent?: { kind: ResourceKind; param: string; plural: "listeners" | "pools" };
  /** The array inside `doc`; throws the parent's NOT_FOUND. `forWrite` creates a missing optional array. */
  items(doc: ConfigDoc, params: Params, forWrite: boolean): Item[];
  /** Describes who still references `item` (delete then answers 409 IN_USE), or undefined. */
  usedBy?(doc: ConfigDoc, item: Item, params: Params): string | undefined;
  /** Extra words for messages, e.g. ` in pool "app"`. */
  where?(params: Params): string;
}

export function notFound(spec: CollectionSpec, params: Params): LbError {
  const id = params[spec.param];
  return new LbError(spec.notFound, `${spec.kind} "${id}" not found${spec.where?.(params) ?? ""}`);
}

/** The index of the item the path names; throws its NOT_FOUND. */
export function indexOf(spec: CollectionSpec, list: Item[], params: Params): number {
  const i = list.findIndex((it) => it[spec.key] === params[spec.param]);
  if (i < 0) throw notFound(spec, params);
  return i;
}

/** The resource key of item `id` ("backend/app/10.0.0.1:80"). */
export function keyOf(spec: CollectionSpec, params: Params, id: string): string {
  return spec.parent ? resourceKey(spec.kind, params[spec.parent.param]!, id) : resourceKey(spec.kind, id);
}

/** A collection's revision: its parent's for a nested one (a pool's backends), else the document's. */
export function collectionRevision(spec: CollectionSpec, stored: Pick<StoredConfig, "revision" | "resources">, params: Params): number {
  if (!spec.parent) return stored.revision;
  return stored.resources.get(resourceKey(spec.parent.kind, params[spec.parent.param]!)) ?? stored.revision;
}

/** Where item `index` sits in the document, as problem paths spell it ("pools[2].backends[0]"). */
export function itemDocPath(spec: CollectionSpec, doc: ConfigDoc, params: Params, index: number): string {
  if (!spec.parent) return `${spec.plural}[${index}]`;
  const parents = doc[spec.parent.plural] as readonly { name: string }[];
  const p = parents.findIndex((x) => x.name === params[spec.parent!.param]);
  return `${spec.parent.plural}[${p}].${spec.plural}[${index}]`;
}

export function params(c: Context): Params {
  return c.req.param() as Params;
}

