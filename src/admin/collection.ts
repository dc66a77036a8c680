/**
 * One resource collection of the config document as REST: list, get, create (POST), replace
 * (PUT), merge-patch (PATCH, RFC 7396) and delete. Listeners, routes, pools, backends and
 * certificates are all this same shape over a different array of the document, so each is a
 * CollectionSpec (src/admin/routes/resources.ts) mounted here. Reads show the document as every
 * read path does (redactConfig: no private keys); writes go through writeDoc (If-Match, applyConfig).
 */
import type { Context, Hono } from "hono";
import { redactConfig, type ConfigDoc } from "../config/index.ts";
import { LbError, type ErrorCode } from "../errors.ts";
import { readObject } from "./body.ts";
import type { AdminDeps } from "./deps.ts";
import { mergePatch } from "./merge-patch.ts";
import { etag, respondWrite, writeDoc } from "./write.ts";

/** One element of a collection, as it stands in the document. */
export type Item = Record<string, unknown>;
/** Path parameters of a request. */
export type Params = Record<string, string>;

/** Describes where a collection lives in the document and how it is addressed. */
export interface CollectionSpec {
  /** Singular noun: messages and the body key of a single item ("pool"). */
  kind: string;
  /** Body key of a list ("pools"). */
  plural: string;
  /** Collection path with Hono params, e.g. "/v1/pools/:pool/backends". */
  path: string;
  /** Path parameter naming one item, e.g. "address". */
  param: string;
  /** Field of an item that identifies it. */
  key: "name" | "address";
  /** Code of the 404 for an unknown item. */
  notFound: ErrorCode;
  /** The array inside `doc`; throws the parent's NOT_FOUND. `forWrite` creates a missing optional array. */
  items(doc: ConfigDoc, params: Params, forWrite: boolean): Item[];
  /** Describes who still references `item` (delete then answers 409 IN_USE), or undefined. */
  usedBy?(doc: ConfigDoc, item: Item, params: Params): string | undefined;
  /** Extra words for messages, e.g. ` in pool "app"`. */
  where?(params: Params): string;
}

function notFound(spec: CollectionSpec, params: Params): LbError {
  const id = params[spec.param];
  return new LbError(spec.notFound, `${spec.kind} "${id}" not found${spec.where?.(params) ?? ""}`);
}

function indexOf(spec: CollectionSpec, list: Item[], params: Params): number {
  const i = list.findIndex((it) => it[spec.key] === params[spec.param]);
  if (i < 0) throw notFound(spec, params);
  return i;
}

/** Fills the identity from the path, refusing a body that names a different item (no renames). */
function withKey(spec: CollectionSpec, body: Item, id: string): Item {
  const given = body[spec.key];
  if (given === undefined) return { ...body, [spec.key]: id };
  if (given !== id) {
    throw new LbError("INVALID_REQUEST", `${spec.key} "${String(given)}" in the body differs from "${id}" in the path; renaming is not supported`);
  }
  return body;
}

function readDoc(deps: AdminDeps): { revision: number; doc: ConfigDoc } {
  const { revision, doc } = deps.store.read();
  return { revision, doc: redactConfig(doc) };
}

function readBack(deps: AdminDeps, spec: CollectionSpec, params: Params, id: string): Item | undefined {
  return spec.items(readDoc(deps).doc, params, false).find((it) => it[spec.key] === id);
}

function params(c: Context): Params {
  return c.req.param() as Params;
}

/** Mounts the six operations of `spec` on `app`. */
export function mountCollection(app: Hono, deps: AdminDeps, spec: CollectionSpec): void {
  const itemPath = `${spec.path}/:${spec.param}`;

  app.get(spec.path, (c) => {
    const { revision, doc } = readDoc(deps);
    c.header("ETag", etag(revision));
    return c.json({ [spec.plural]: spec.items(doc, params(c), false) });
  });

  app.get(itemPath, (c) => {
    const p = params(c);
    const { revision, doc } = readDoc(deps);
    const list = spec.items(doc, p, false);
    c.header("ETag", etag(revision));
    return c.json({ [spec.kind]: list[indexOf(spec, list, p)] });
  });

  app.post(spec.path, async (c) => {
    const p = params(c);
    const body = await readObject(c);
    const id = body[spec.key];
    const r = writeDoc(deps, c, (doc) => {
      const list = spec.items(doc, p, true);
      if (id !== undefined && list.some((it) => it[spec.key] === id)) {
        throw new LbError("ALREADY_EXISTS", `${spec.kind} "${String(id)}" already exists${spec.where?.(p) ?? ""}`);
      }
      list.push(body);
    });
    c.header("Location", `${c.req.path}/${encodeURIComponent(String(id))}`);
    return respondWrite(c, 201, r, { [spec.kind]: readBack(deps, spec, p, String(id)) });
  });

  app.put(itemPath, async (c) => {
    const p = params(c);
    const body = withKey(spec, await readObject(c), p[spec.param]);
    const r = writeDoc(deps, c, (doc) => {
      const list = spec.items(doc, p, true);
      list[indexOf(spec, list, p)] = body;
    });
    return respondWrite(c, 200, r, { [spec.kind]: readBack(deps, spec, p, p[spec.param]) });
  });

  app.patch(itemPath, async (c) => {
    const p = params(c);
    const patch = await readObject(c);
    const r = writeDoc(deps, c, (doc) => {
      const list = spec.items(doc, p, true);
      const i = indexOf(spec, list, p);
      list[i] = withKey(spec, mergePatch(list[i], patch) as Item, p[spec.param]);
    });
    return respondWrite(c, 200, r, { [spec.kind]: readBack(deps, spec, p, p[spec.param]) });
  });

  app.delete(itemPath, (c) => {
    const p = params(c);
    const r = writeDoc(deps, c, (doc) => {
      const list = spec.items(doc, p, true);
      const i = indexOf(spec, list, p);
      const referrer = spec.usedBy?.(doc, list[i], p);
      if (referrer) {
        throw new LbError("IN_USE", `${spec.kind} "${p[spec.param]}" is still used by ${referrer}`, { details: [{ referrer }] });
      }
      list.splice(i, 1);
    });
    return respondWrite(c, 200, r);
  });
}
