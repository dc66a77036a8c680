/**
 * Conditional requests (RFC 9110 §13). An ETag is a revision in quotes: the document's for
 * /v1/config and top-level collections, the resource's own for one resource (and the parent's for
 * a nested collection: a pool's backends), so an edit elsewhere does not invalidate it.
 * If-Match uses the strong comparison (§13.1.1): a weak tag `W/"7"` never matches. If-None-Match
 * on a GET uses the weak one (§13.1.2) and answers 304 Not Modified.
 */
import type { Context } from "hono";
import { LbError } from "../errors.ts";

/** The ETag for a revision: a strong validator, the revision in quotes. */
export function etag(revision: number): string {
  return `"${revision}"`;
}

/** The entity tags of a list header (`"1", W/"2"`), as sent. */
function tagsOf(header: string): string[] {
  return header.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/**
 * Throws PRECONDITION_FAILED unless the If-Match header (if any) matches `revision` by the strong
 * comparison: `*`, or a list holding `"<revision>"` exactly. Weak validators never match.
 */
export function checkIfMatch(c: Context, revision: number): void {
  const header = c.req.header("if-match");
  if (header === undefined) return;
  const tags = tagsOf(header);
  if (tags.includes("*") || tags.includes(etag(revision))) return;
  const weak = tags.some((t) => t.startsWith("W/")) ? " (a weak validator W/\"...\" never matches If-Match: RFC 9110 §13.1.1)" : "";
  throw new LbError("PRECONDITION_FAILED", `If-Match ${header} does not match the current ETag ${etag(revision)}${weak}`, {
    details: [{ current_revision: revision }],
  });
}

/** True when If-None-Match matches `revision` by the weak comparison (`*` matches any): answer 304. */
export function notModified(c: Context, revision: number): boolean {
  const header = c.req.header("if-none-match");
  if (header === undefined) return false;
  const tags = tagsOf(header);
  return tags.includes("*") || tags.some((t) => t.replace(/^W\//, "") === etag(revision));
}

/** 304 Not Modified with the ETag, no body (RFC 9110 §15.4.5). */
export function notModifiedResponse(c: Context, revision: number): Response {
  return c.body(null, 304, { ETag: etag(revision) });
}
