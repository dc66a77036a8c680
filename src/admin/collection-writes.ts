/**
 * The writes of a resource collection: POST creates, PUT replaces, PATCH merges (RFC 7396),
 * DELETE removes. Each takes `?dry_run=true` (its WriteQuery, parsed before the handler runs), is
 * conditional on If-Match (the item's own revision; for POST, the collection's), and runs as one
 * read-modify-write through runWrite.
 * A problem inside the item is reported relative to it (`address`, not `listeners[3].address`).
 */
import type { Context } from "hono";
import { redactConfig, type ConfigDoc } from "../config/index.ts";
import { LbError } from "../errors.ts";
import type { StoredConfig } from "../store/index.ts";
import { readObject } from "./body.ts";
import { collectionRevision, indexOf, itemDocPath, keyOf, params, type CollectionSpec, type Item, type Params } from "./collection-spec.ts";
import { checkIfMatch } from "./conditional.ts";
import type { AdminDeps } from "./deps.ts";
import { mergePatch } from "./merge-patch.ts";
import type { WriteQuery } from "./query.ts";
import { withRelativePaths } from "./relative-errors.ts";
import { respondWrite, runWrite } from "./write.ts";

/** Fills the identity from the path, refusing a body that names a different item (no renames). */
function withKey(spec: CollectionSpec, body: Item, id: string): Item {
  const given = body[spec.key];
  if (given === undefined) return { ...body, [spec.key]: id };
  if (given !== id) {
    throw new LbError("INVALID_REQUEST", `${spec.key} "${String(given)}" in the body differs from "${id}" in the path; renaming is not supported`);
  }
  return body;
}

/** Changes one item of a copy of the document; returns the item's index after the change. */
type EditItem = (list: Item[], doc: ConfigDoc) => number;

/**
 * Writes through `edit` on item `id` and answers `{revision, changed, <kind>: item}` with the
 * item's revision as ETag. `ifMatch` says what If-Match is judged against.
 */
async function writeItem(
  deps: AdminDeps,
  spec: CollectionSpec,
  c: Context,
  q: WriteQuery,
  w: { id: string; status: 200 | 201; ifMatch: (current: StoredConfig, p: Params) => number | undefined; edit: EditItem },
): Promise<Response> {
  const p = params(c);
  const dryRun = q.dry_run;
  let at: string | undefined;
  const produce = (current: StoredConfig): ConfigDoc => {
    const doc = structuredClone(current.doc);
    const i = w.edit(spec.items(doc, p, true), doc);
    at = itemDocPath(spec, doc, p, i);
    return doc;
  };
  const precondition = (current: StoredConfig) => {
    const revision = w.ifMatch(current, p);
    if (revision !== undefined) checkIfMatch(c, revision);
  };
  const r = await withRelativePaths(() => runWrite(deps, c, { produce, precondition, query: q }), () => at);
  const item = spec.items(redactConfig(r.doc), p, false).find((it) => it[spec.key] === w.id);
  return respondWrite(c, w.status, r, dryRun, r.resources.get(keyOf(spec, p, w.id)), { [spec.kind]: item });
}

/** If-Match on an item: its own revision; a missing item is left to the edit's 404 (RFC 9110 §13.2.2). */
function itemRevision(spec: CollectionSpec) {
  return (current: StoredConfig, p: Params) => current.resources.get(keyOf(spec, p, p[spec.param]!));
}

export async function createItem(deps: AdminDeps, spec: CollectionSpec, c: Context, q: WriteQuery): Promise<Response> {
  const body = await readObject(c);
  const p = params(c);
  const id = String(body[spec.key]);
  const res = await writeItem(deps, spec, c, q, {
    id,
    status: 201,
    ifMatch: (current) => collectionRevision(spec, current, p),
    edit: (list) => {
      if (body[spec.key] !== undefined && list.some((it) => it[spec.key] === body[spec.key])) {
        throw new LbError("ALREADY_EXISTS", `${spec.kind} "${id}" already exists${spec.where?.(p) ?? ""}`);
      }
      return list.push(body) - 1;
    },
  });
  if (res.status === 201) res.headers.set("Location", `${c.req.path.replace(/\/+$/, "")}/${encodeURIComponent(id)}`);
  return res;
}

export async function replaceItem(deps: AdminDeps, spec: CollectionSpec, c: Context, q: WriteQuery): Promise<Response> {
  const p = params(c);
  const id = p[spec.param]!;
  const body = withKey(spec, await readObject(c), id);
  return writeItem(deps, spec, c, q, {
    id,
    status: 200,
    ifMatch: itemRevision(spec),
    edit: (list) => {
      const i = indexOf(spec, list, p);
      list[i] = body;
      return i;
    },
  });
}

export async function patchItem(deps: AdminDeps, spec: CollectionSpec, c: Context, q: WriteQuery): Promise<Response> {
  const p = params(c);
  const id = p[spec.param]!;
  const patch = await readObject(c);
  return writeItem(deps, spec, c, q, {
    id,
    status: 200,
    ifMatch: itemRevision(spec),
    edit: (list) => {
      const i = indexOf(spec, list, p);
      list[i] = withKey(spec, mergePatch(list[i], patch) as Item, id);
      return i;
    },
  });
}

/** DELETE answers the revision, with the collection's new revision as ETag. */
export async function deleteItem(deps: AdminDeps, spec: CollectionSpec, c: Context, q: WriteQuery): Promise<Response> {
  const p = params(c);
  const dryRun = q.dry_run;
  const ifMatch = itemRevision(spec);
  const r = await runWrite(deps, c, {
    query: q,
    precondition: (current) => {
      const revision = ifMatch(current, p);
      if (revision !== undefined) checkIfMatch(c, revision);
    },
    produce: (current) => {
      const doc = structuredClone(current.doc);
      const list = spec.items(doc, p, true);
      const i = indexOf(spec, list, p);
      const referrer = spec.usedBy?.(doc, list[i]!, p);
      if (referrer) {
        throw new LbError("IN_USE", `${spec.kind} "${p[spec.param]}" is still used by ${referrer}`, { details: [{ referrer }] });
      }
      list.splice(i, 1);
      return doc;
    },
  });
  return respondWrite(c, 200, r, dryRun, collectionRevision(spec, r, p));
}
