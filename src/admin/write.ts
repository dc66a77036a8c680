/**
 * How every admin write reaches the write path: ConfigControl.change (one read-modify-write at a
 * time per node: read, If-Match, change a copy, validate, compile, preflight, store, publish),
 * counted in fulcrum_config_writes_total, and answered with the revision in the body and ETag.
 * In a cluster, `?wait=applied&timeout_ms=N` holds the answer until every live node has applied
 * (or refused) the new revision, and says which did, which refused and why, which timed out.
 */
import type { Context } from "hono";
import type { ChangeResult } from "../control/index.ts";
import type { ChangeSource, StoredConfig } from "../store/index.ts";
import { LbError } from "../errors.ts";
import { etag } from "./conditional.ts";
import type { AdminDeps, AppliedWait } from "./deps.ts";
import { waitOf } from "./query.ts";

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

/** A write's result, with the nodes that applied it when the request asked to wait. */
export type WriteOutcome = ChangeResult & { wait?: AppliedWait };

/** The ?wait=applied timeout, refused (400) where it cannot be honoured. */
function waitFor(deps: AdminDeps, c: Context, dryRun: boolean): number | undefined {
  const ms = waitOf(c.req.query());
  if (ms === undefined) return undefined;
  if (!deps.cluster) throw new LbError("INVALID_REQUEST", "wait=applied needs a cluster node (fulcrum start --cluster URLS --node NAME)");
  if (dryRun) throw new LbError("INVALID_REQUEST", "wait=applied cannot go with dry_run: a dry run writes nothing");
  return ms;
}

/** Runs `w` through the node's write path, counting the outcome; with ?wait=applied, waits for the cluster. */
export async function runWrite(deps: AdminDeps, c: Context, w: AdminWrite): Promise<WriteOutcome> {
  const waitMs = waitFor(deps, c, w.dryRun);
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
  r: WriteOutcome,
  dryRun: boolean,
  tag: number | undefined,
  extra: Record<string, unknown> = {},
): Response {
  if (dryRun) return c.json({ revision: r.revision, changed: r.changed, dry_run: true, diff: r.diff, ...extra }, 200);
  if (tag !== undefined) c.header("ETag", etag(tag));
  return c.json({ revision: r.revision, changed: r.changed, ...extra, ...(r.wait ? { wait: r.wait } : {}) }, status);
}
