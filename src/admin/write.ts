/**
 * How every admin write reaches the write path: ConfigControl.change (one read-modify-write at a
 * time per node: read, If-Match, change a copy, validate, compile, preflight, store, publish),
 * counted in fulcrum_config_writes_total, and answered with the revision in the body and ETag.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { ChangeResult } from "../control/index.ts";
import type { ChangeSource, StoredConfig } from "../store/index.ts";
import { etag } from "./conditional.ts";
import type { AdminDeps } from "./deps.ts";
import { named } from "./openapi/schemas.ts";

/** The answer of a write (a resource write adds the resource under its kind: WriteResultSchema.extend). */
export const WriteResultSchema = named(
  "WriteResult",
  z.strictObject({
    revision: z.number().int().min(0).describe("The stored revision after the write; a dry run: the current one."),
    changed: z.boolean().describe("Whether the document changed (a dry run: would change); false leaves the revision as it was."),
    dry_run: z.literal(true).optional().describe("Present on a dry run: nothing was stored."),
    diff: z.array(z.string()).optional().describe("One line per change (PUT /v1/config and dry runs); secrets are never shown."),
  }),
);

/** One admin write: how to make the new document from the stored one, and on what it is conditional. */
export interface AdminWrite {
  /** The new document (unvalidated) from the current one; may throw (404, 409). */
  produce(current: StoredConfig): unknown;
  /** The request's precondition (If-Match) judged on the current stored config. */
  precondition?(current: StoredConfig): void;
  /** Validate and compile only. */
  dryRun: boolean;
  /** Who made it; default the API. */
  source?: ChangeSource;
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

/** Runs `w` through the node's write path, counting the outcome. */
export async function runWrite(deps: AdminDeps, c: Context, w: AdminWrite): Promise<ChangeResult> {
  const writes = deps.metrics.writes;
  try {
    const r = await deps.control.change((current) => w.produce(current), {
      ...(w.source ?? { source: "api" }),
      summary: summaryOf(c),
      dryRun: w.dryRun,
      precondition: w.precondition,
    });
    writes.inc({ result: w.dryRun ? "dry_run" : r.changed ? "applied" : "unchanged" });
    return r;
  } catch (e) {
    writes.inc({ result: "rejected" });
    throw e;
  }
}

/**
 * Sends a write's answer: `{revision, changed, ...extra}`, with `tag` (the revision of what was
 * written: the resource's, the document's) as ETag. A dry run answers 200 with `dry_run: true`
 * and the diff, and no ETag: nothing was written.
 */
export function respondWrite(
  c: Context,
  status: 200 | 201,
  r: ChangeResult,
  dryRun: boolean,
  tag: number | undefined,
  extra: Record<string, unknown> = {},
): Response {
  if (dryRun) {
    const body: z.output<typeof WriteResultSchema> = { revision: r.revision, changed: r.changed, dry_run: true, diff: r.diff };
    return c.json({ ...body, ...extra }, 200);
  }
  if (tag !== undefined) c.header("ETag", etag(tag));
  const body: z.output<typeof WriteResultSchema> = { revision: r.revision, changed: r.changed };
  return c.json({ ...body, ...extra }, status);
}
