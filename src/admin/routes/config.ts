/**
 * GET/PUT /v1/config: the whole document. GET answers JSON, or YAML when Accept asks for it, and
 * never shows private keys. PUT replaces the document atomically (one applyConfig); with
 * `?dry_run=true` it validates and compiles only, and both answer with the diff.
 */
import type { Hono } from "hono";
import { stringify as toYaml } from "yaml";
import { redactConfig } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { readBody } from "../body.ts";
import type { AdminDeps } from "../deps.ts";
import { applyDoc, checkIfMatch, etag, respondWrite } from "../write.ts";

const YAML_TYPES = ["application/yaml", "text/yaml", "application/x-yaml"];

function wantsYaml(accept: string | undefined): boolean {
  const a = (accept ?? "").toLowerCase();
  return YAML_TYPES.some((t) => a.includes(t));
}

/** Reads ?dry_run: absent, false or 0 = write; true, 1 or bare = validate only; anything else is a 400. */
function dryRunOf(v: string | undefined): boolean {
  if (v === undefined || v === "false" || v === "0") return false;
  if (v === "true" || v === "1" || v === "") return true;
  throw new LbError("INVALID_REQUEST", `dry_run must be true or false, not "${v}"`);
}

/** Mounts /v1/config. */
export function mountConfig(app: Hono, deps: AdminDeps): void {
  app.get("/v1/config", (c) => {
    const { revision, doc } = deps.store.read();
    const shown = redactConfig(doc);
    c.header("ETag", etag(revision));
    if (wantsYaml(c.req.header("accept"))) {
      return c.body(toYaml(shown), 200, { "Content-Type": "application/yaml; charset=utf-8" });
    }
    return c.json(shown);
  });

  app.put("/v1/config", async (c) => {
    const input = await readBody(c, { allowYaml: true });
    const dryRun = dryRunOf(c.req.query("dry_run"));
    const current = deps.store.read().revision;
    checkIfMatch(c, current);
    const r = applyDoc(deps, c, input, current, dryRun);
    if (dryRun) return c.json({ revision: r.revision, changed: r.changed, dry_run: true, diff: r.diff });
    return respondWrite(c, 200, r, { diff: r.diff });
  });
}
