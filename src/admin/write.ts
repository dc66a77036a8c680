/**
 * The one write path of the admin API: read the stored document, check If-Match, change a copy in
 * memory, and hand it to applyConfig (validate, compile, store in one transaction, publish). The
 * read, the change and the apply run without an await in between, so two requests on this node
 * cannot interleave inside one read-modify-write.
 */
import type { Context } from "hono";
import { applyConfig, type ConfigDoc } from "../config/index.ts";
import { LbError } from "../errors.ts";
import type { AdminDeps } from "./deps.ts";

/** The result of a write, as the response reports it. */
export interface WriteResult {
  revision: number;
  changed: boolean;
  /** Human lines saying what changed (diffConfig), empty when nothing did. */
  diff: string[];
}

/** The ETag for a revision: a strong validator, the revision in quotes. */
export function etag(revision: number): string {
  return `"${revision}"`;
}

/**
 * Throws PRECONDITION_FAILED unless the If-Match header (if any) names `revision`. Accepts `*`,
 * a list, and weak validators (W/"5"), which compare by their revision as well.
 */
export function checkIfMatch(c: Context, revision: number): void {
  const header = c.req.header("if-match");
  if (header === undefined) return;
  const tags = header.split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (tags.includes("*")) return;
  const wanted = tags.map((t) => t.replace(/^W\//, "").replace(/^"(.*)"$/, "$1"));
  if (!wanted.includes(String(revision))) {
    throw new LbError("PRECONDITION_FAILED", `If-Match ${header} does not match the current revision ${revision}`, {
      details: [{ current_revision: revision }],
    });
  }
}

/** Summary recorded in the revision history: the verb and the path, e.g. "PATCH /v1/pools/app". */
export function summaryOf(c: Context): string {
  let path = c.req.path;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape is still a fine summary as it stands.
  }
  return `${c.req.method} ${path}`;
}

/** Applies `doc` (a whole document) on top of `expectRevision`, counting the outcome. */
export function applyDoc(deps: AdminDeps, c: Context, doc: unknown, expectRevision: number, dryRun = false): WriteResult {
  const writes = deps.metrics.writes;
  try {
    const preflight = deps.runtime.preflight?.bind(deps.runtime);
    const r = applyConfig({ store: deps.store, holder: deps.holder, preflight }, doc, { expectRevision, dryRun, summary: summaryOf(c) });
    writes.inc({ result: dryRun ? "dry_run" : r.changed ? "applied" : "unchanged" });
    return { revision: r.revision, changed: r.changed, diff: r.diff };
  } catch (e) {
    writes.inc({ result: "rejected" });
    throw e;
  }
}

/** Reads the stored document, checks If-Match, applies `mutate` to a copy, and writes it. */
export function writeDoc(deps: AdminDeps, c: Context, mutate: (doc: ConfigDoc) => void): WriteResult {
  const current = deps.store.read();
  checkIfMatch(c, current.revision);
  const doc = structuredClone(current.doc);
  mutate(doc);
  return applyDoc(deps, c, doc, current.revision);
}

/** Sends a write's answer: the revision in the body and as ETag. */
export function respondWrite(c: Context, status: 200 | 201, r: WriteResult, extra: Record<string, unknown> = {}): Response {
  c.header("ETag", etag(r.revision));
  return c.json({ revision: r.revision, changed: r.changed, ...extra }, status);
}
