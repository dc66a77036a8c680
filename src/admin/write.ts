/**
 * How every admin write reaches the write path: ConfigControl.change (one read-modify-write at a
 * time per node: read, If-Match, change a copy, validate, compile, preflight, store, publish),
 * counted in fulcrum_config_writes_total, and answered with the revision in the body and ETag.
 * In a cluster, `?wait=applied&timeout_ms=N` holds the answer until every live node has applied
 * (or refused) the new revision, and says which did, which refused and why, which timed out.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { ChangeResult } from "../control/index.ts";
import type { ChangeSource, StoredConfig } from "../store/index.ts";
import { LbError } from "../errors.ts";
import { etag } from "./conditional.ts";
import type { AdminDeps, AppliedWait } from "./deps.ts";
import { named, type Same } from "./openapi/schemas.ts";
import { DEFAULT_WAIT_MS, type WriteQuery } from "./query.ts";

/** Which live nodes applied a revision (a write made with ?wait=applied). */
export const AppliedWaitSchema = named(
  "AppliedWait",
  z.strictObject({
    revision: z.number().int().min(0).describe("The revision waited for."),
    applied: z.array(z.string()).describe("Live nodes serving it (or a newer one)."),
    refused: z
      .array(
        z.strictObject({
          node: z.string(),
          revision: z.number().int().min(0).describe("The revision the node keeps serving."),
          reason: z.string().describe("Why it cannot apply this one (a NACK)."),
        }),
      )
      .describe("Live nodes that cannot apply it and keep serving an older revision."),
    timed_out: z.array(z.string()).describe("Live nodes that neither applied nor refused it within timeout_ms."),
  }),
);

const appliedWaitCheck: Same<z.output<typeof AppliedWaitSchema>, AppliedWait> = true;
void appliedWaitCheck;

/** The answer of a write (a resource write adds the resource under its kind: WriteResultSchema.extend). */
export const WriteResultSchema = named(
  "WriteResult",
  z.strictObject({
    revision: z.number().int().min(0).describe("The stored revision after the write; a dry run: the current one."),
    changed: z.boolean().describe("Whether the document changed (a dry run: would change); false leaves the revision as it was."),
    dry_run: z.literal(true).optional().describe("Present on a dry run: nothing was stored."),
    diff: z.array(z.string()).optional().describe("One line per change (PUT /v1/config and dry runs); secrets are never shown."),
    wait: AppliedWaitSchema.optional().describe("With ?wait=applied (a cluster node): which live nodes applied the revision, refused it or timed out."),
  }),
);

/** One admin write: how to make the new document from the stored one, and on what it is conditional. */
export interface AdminWrite {
  /** The new document (unvalidated) from the current one; may throw (404, 409). */
  produce(current: StoredConfig): unknown;
  /** The request's precondition (If-Match) judged on the current stored config. */
  precondition?(current: StoredConfig): void;
  /** The request's query: dry_run (validate and compile only), wait=applied and timeout_ms. */
  query: WriteQuery;
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

/** A write's result, with the nodes that applied it when the request asked to wait. */
export type WriteOutcome = ChangeResult & { wait?: AppliedWait };

/** The ?wait=applied timeout, refused (400) where it cannot be honoured. */
function waitFor(deps: AdminDeps, q: WriteQuery): number | undefined {
  if (q.wait === undefined) return undefined;
  if (!deps.cluster) {
    const message = "wait=applied needs a cluster node (fulcrum start --cluster URLS --node NAME)";
    throw new LbError("INVALID_REQUEST", message, { details: [{ path: "wait", message }] });
  }
  return q.timeout_ms ?? DEFAULT_WAIT_MS;
}

/** Runs `w` through the node's write path, counting the outcome; with ?wait=applied, waits for the cluster. */
export async function runWrite(deps: AdminDeps, c: Context, w: AdminWrite): Promise<WriteOutcome> {
  const waitMs = waitFor(deps, w.query);
  const r = await change(deps, c, w);
  if (waitMs === undefined || !deps.cluster) return r;
  return { ...r, wait: await deps.cluster.waitApplied(r.revision, waitMs) };
}

async function change(deps: AdminDeps, c: Context, w: AdminWrite): Promise<ChangeResult> {
  const writes = deps.metrics.writes;
  try {
    const r = await deps.control.change((current) => w.produce(current), {
      ...(w.source ?? { source: "api" }),
      summary: summaryOf(c),
      dryRun: w.query.dry_run,
      precondition: w.precondition,
    });
    writes.inc({ result: w.query.dry_run ? "dry_run" : r.changed ? "applied" : "unchanged" });
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
  r: WriteOutcome,
  dryRun: boolean,
  tag: number | undefined,
  extra: Record<string, unknown> = {},
): Response {
  if (dryRun) {
    const body: z.output<typeof WriteResultSchema> = { revision: r.revision, changed: r.changed, dry_run: true, diff: r.diff };
    return c.json({ ...body, ...extra }, 200);
  }
  if (tag !== undefined) c.header("ETag", etag(tag));
  const body: z.output<typeof WriteResultSchema> = { revision: r.revision, changed: r.changed, ...(r.wait ? { wait: r.wait } : {}) };
  return c.json({ ...body, ...extra }, status);
}
