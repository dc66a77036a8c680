/**
 * The five kinds of resource in a config document and how each is named, so per-resource
 * revisions (ResourceRevisions) mean the same to every Store implementation and to the admin API.
 */
import { canonicalJson, type ConfigDoc } from "../config/index.ts";

/** A kind of resource: one admin collection each. */
export type ResourceKind = "listener" | "route" | "pool" | "backend" | "certificate";

/**
 * The key of one resource: its kind, then its parent's name if it has one, then its own name or
 * address, joined by "/" ("backend/app/10.0.0.1:80"). Names and addresses never contain "/".
 */
export function resourceKey(kind: ResourceKind, ...ids: string[]): string {
  return [kind, ...ids].join("/");
}

/** Every resource of `doc` with its canonical JSON as it reads back (parents with their children). */
export function resourceTexts(doc: ConfigDoc): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of doc.listeners) {
    out.set(resourceKey("listener", l.name), canonicalJson(l));
    for (const r of l.routes) out.set(resourceKey("route", l.name, r.name), canonicalJson(r));
  }
  for (const p of doc.pools) {
    out.set(resourceKey("pool", p.name), canonicalJson(p));
    for (const b of p.backends) out.set(resourceKey("backend", p.name, b.address), canonicalJson(b));
  }
  for (const c of doc.certificates) out.set(resourceKey("certificate", c.name), canonicalJson(c));
  return out;
}

/**
 * The per-resource revisions after `before` became `after` at `revision`: a resource that reads
 * back the same keeps its revision (`known`), a new or changed one gets `revision`.
 */
export function nextResourceRevisions(
  before: ConfigDoc,
  known: ReadonlyMap<string, number>,
  after: ConfigDoc,
  revision: number,
): Map<string, number> {
  const old = resourceTexts(before);
  const out = new Map<string, number>();
  for (const [key, text] of resourceTexts(after)) {
    const kept = known.get(key);
    out.set(key, kept !== undefined && old.get(key) === text ? kept : revision);
  }
  return out;
}
