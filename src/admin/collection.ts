/**
 * One resource collection of the config document as REST: list, get, create (POST), replace
 * (PUT), merge-patch (PATCH, RFC 7396) and delete. Listeners, routes, pools, backends and
 * certificates are all this same shape over a different array of the document, so each is a
 * CollectionSpec (src/admin/routes/resources.ts) mounted here. One resource reads back as the
 * plain object it is in the document (what its PUT accepts as is), with its own revision as ETag;
 * reads never show private keys (redactConfig). Writes are in collection-writes.ts.
 */
import type { Context, Hono } from "hono";
import { redactConfig } from "../config/index.ts";
import { collectionRevision, indexOf, keyOf, params, type CollectionSpec } from "./collection-spec.ts";
import { createItem, deleteItem, patchItem, replaceItem } from "./collection-writes.ts";
import { etag, notModified, notModifiedResponse } from "./conditional.ts";
import type { AdminDeps } from "./deps.ts";
import { queryOf } from "./query.ts";

function listItems(deps: AdminDeps, spec: CollectionSpec, c: Context): Response {
  queryOf(c, []);
  const p = params(c);
  const stored = deps.store.read();
  const items = spec.items(redactConfig(stored.doc), p, false);
  const tag = collectionRevision(spec, stored, p);
  if (notModified(c, tag)) return notModifiedResponse(c, tag);
  c.header("ETag", etag(tag));
  return c.json({ [spec.plural]: items });
}

function getItem(deps: AdminDeps, spec: CollectionSpec, c: Context): Response {
  queryOf(c, []);
  const p = params(c);
  const stored = deps.store.read();
  const list = spec.items(redactConfig(stored.doc), p, false);
  const item = list[indexOf(spec, list, p)];
  const tag = stored.resources.get(keyOf(spec, p, p[spec.param]!)) ?? stored.revision;
  if (notModified(c, tag)) return notModifiedResponse(c, tag);
  c.header("ETag", etag(tag));
  return c.json(item);
}

/** Mounts the six operations of `spec` on `app`. */
export function mountCollection(app: Hono, deps: AdminDeps, spec: CollectionSpec): void {
  const itemPath = `${spec.path}/:${spec.param}`;
  app.get(spec.path, (c) => listItems(deps, spec, c));
  app.get(itemPath, (c) => getItem(deps, spec, c));
  app.post(spec.path, (c) => createItem(deps, spec, c));
  app.put(itemPath, (c) => replaceItem(deps, spec, c));
  app.patch(itemPath, (c) => patchItem(deps, spec, c));
  app.delete(itemPath, (c) => deleteItem(deps, spec, c));
}
