/**
 * Per-resource revisions in the layout: each stored entry has the config revision that last changed
 * it (`rev`) and, for a pool or listener, the revision of each backend or route (`kids`). A parent's
 * revision moves whenever anything in it changes (a child added, removed, reordered or changed); a
 * child's only when the child itself does. resourceRevisions() gives them the Store contract's keys
 * ("pool/app", "backend/app/10.0.0.1:80", "listener/web", "route/web/api", "certificate/site").
 */
import { canonicalJson } from "../config/index.ts";
import type { LayoutKind, StoredResource } from "./config-shards.ts";
import type { ConfigState } from "./config-state.ts";

type Child = Record<string, unknown>;

/** The child list of a resource and how each child is named: pools' backends, listeners' routes. */
const CHILDREN: Partial<Record<LayoutKind, { list: string; id: string; kind: string; parent: string }>> = {
  pools: { list: "backends", id: "address", kind: "backend", parent: "pool" },
  listeners: { list: "routes", id: "name", kind: "route", parent: "listener" },
};
const SINGULAR: Record<LayoutKind, string> = { pools: "pool", listeners: "listener", certificates: "certificate" };

function children(kind: LayoutKind, doc: StoredResource["doc"]): Map<string, Child> {
  const c = CHILDREN[kind];
  const list = c ? (doc[c.list] as Child[] | undefined) : undefined;
  return new Map((list ?? []).map((x) => [String(x[c!.id]), x]));
}

/** The children's revisions of `doc` (undefined for a kind without children) after a write at `revision`. */
export function childRevisions(kind: LayoutKind, was: StoredResource | undefined, doc: StoredResource["doc"], revision: number): Record<string, number> | undefined {
  if (!CHILDREN[kind]) return undefined;
  const before = was ? children(kind, was.doc) : new Map<string, Child>();
  const out: Record<string, number> = {};
  for (const [id, child] of children(kind, doc)) {
    const old = before.get(id);
    const kept = was?.kids?.[id] ?? was?.rev;
    out[id] = old !== undefined && kept !== undefined && canonicalJson(old) === canonicalJson(child) ? kept : revision;
  }
  return out;
}

/** Every resource's revision, keyed as the Store contract keys them. */
export function resourceRevisions(state: ConfigState): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, r] of state.resources) {
    const kind = id.slice(0, id.indexOf("/")) as LayoutKind;
    out.set(`${SINGULAR[kind]}/${r.doc.name}`, r.rev);
    const c = CHILDREN[kind];
    if (!c) continue;
    for (const childId of children(kind, r.doc).keys()) out.set(`${c.kind}/${r.doc.name}/${childId}`, r.kids?.[childId] ?? r.rev);
  }
  return out;
}
