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
import { collectionOperations } from "./collection-operations.ts";
import { collectionRevision, indexOf, keyOf, params, type CollectionSpec } from "./collection-spec.ts";
import { createItem, deleteItem, patchItem, replaceItem } from "./collection-writes.ts";
import { etag, notModified, notModifiedResponse } from "./conditional.ts";
import type { AdminDeps } from "./deps.ts";
import { mountOperation } from "./operation.ts";

function listItems(deps: AdminDeps, spec: CollectionSpec, c: Context): Response {
  const p = params(c);
  const stored = deps.store.read();
  const items = spec.items(redactConfig(stored.doc), p, false);
  const tag = collectionRevision(spec, stored, p);
  if (notModified(c, tag)) return notModifiedResponse(c, tag);
  c.header("ETag", etag(tag));
  return c.json({ [spec.plural]: items });
}

function getItem(deps: AdminDeps, spec: CollectionSpec, c: Context): Response {
  const p = params(c);
  const stored = deps.store.read();
  const list = spec.items(redactConfig(stored.doc), p, false);
  const item = list[indexOf(spec, list, p)];
  const tag = stored.resources.get(keyOf(spec, p, p[spec.param]!)) ?? stored.revision;
  if (notModified(c, tag)) return notModifiedResponse(c, tag);
  c.header("ETag", etag(tag));
  return c.json(item);
}

/** Mounts the six operations of `spec` (collection-operations.ts) on `app`. */
export function mountCollection(app: Hono, deps: AdminDeps, spec: CollectionSpec): void {
  const ops = collectionOperations(spec);
  mountOperation(app, ops.list, (c) => listItems(deps, spec, c));
  mountOperation(app, ops.get, (c) => getItem(deps, spec, c));
  mountOperation(app, ops.create, (c, q) => createItem(deps, spec, c, q));
  mountOperation(app, ops.replace, (c, q) => replaceItem(deps, spec, c, q));
  mountOperation(app, ops.patch, (c, q) => patchItem(deps, spec, c, q));
  mountOperation(app, ops.remove, (c, q) => deleteItem(deps, spec, c, q));
}
