/**
 * GET/PUT /v1/config: the whole document. GET answers JSON, or YAML when Accept asks for it, and
 * never shows private keys. PUT replaces the document atomically (one change through the write
 * path); with `?dry_run=true` it validates and compiles only, and both answer with the diff.
 * `fulcrum apply -f FILE` names its file in the Fulcrum-Config-File header (URI-encoded), so the
 * history records that change as coming from that file.
 */
import type { Context, Hono } from "hono";
import { stringify as toYaml } from "yaml";
import { ConfigDocSchema, redactConfig } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import type { ChangeSource } from "../../store/index.ts";
import { readBody } from "../body.ts";
import { checkIfMatch, etag, notModified, notModifiedResponse } from "../conditional.ts";
import type { AdminDeps } from "../deps.ts";
import { named } from "../openapi/schemas.ts";
import { mountOperation, type Operation } from "../operation.ts";
import { NO_QUERY, WriteQuerySchema } from "../query.ts";
import { respondWrite, runWrite, WriteResultSchema } from "../write.ts";
import { EXAMPLE_CONFIG } from "./examples.ts";

const YAML_TYPES = ["application/yaml", "text/yaml", "application/x-yaml"];
const ConfigDoc = named("ConfigDoc", ConfigDocSchema, "The whole declared configuration; config files hold the same document (JSON or YAML).");

const GET_CONFIG: Operation<typeof NO_QUERY> = {
  method: "get",
  path: "/v1/config",
  operationId: "getConfig",
  tag: "config",
  summary: "Read the whole config document",
  description: "JSON, or YAML when Accept names application/yaml (or text/yaml). Private keys are never shown.",
  headers: ["If-None-Match"],
  replies: {
    200: { description: "The document, every default filled.", content: { types: ["application/json", "application/yaml"], schema: ConfigDoc }, headers: ["ETag"] },
    304: { description: "Not modified (If-None-Match).", headers: ["ETag"] },
  },
};

const PUT_CONFIG: Operation<typeof WriteQuerySchema> = {
  method: "put",
  path: "/v1/config",
  operationId: "replaceConfig",
  tag: "config",
  summary: "Replace the whole config document atomically",
  description: "One change: every resource is validated, compiled and bind-checked before anything is stored. A certificate sent without key_pem keeps its stored key.",
  query: WriteQuerySchema,
  headers: ["If-Match", "Fulcrum-Config-File"],
  body: { types: ["application/json", ...YAML_TYPES], schema: ConfigDoc, example: EXAMPLE_CONFIG },
  replies: {
    200: { description: "Written (or, a dry run, what would be), with the diff.", content: { types: ["application/json"], schema: WriteResultSchema }, headers: ["ETag"] },
  },
  errors: ["CONFIG_INVALID", "PRECONDITION_FAILED", "CONFLICT", "CLUSTER_UNAVAILABLE"],
};

/** The request header `fulcrum apply -f` names its config file in. */
export const CONFIG_FILE_HEADER = "Fulcrum-Config-File";

function wantsYaml(accept: string | undefined): boolean {
  const a = (accept ?? "").toLowerCase();
  return YAML_TYPES.some((t) => a.includes(t));
}

/** Who is writing: a config file when the request names one, else the API. */
function sourceOf(c: Context): ChangeSource {
  const header = c.req.header(CONFIG_FILE_HEADER);
  if (header === undefined) return { source: "api" };
  let file = "";
  try {
    file = decodeURIComponent(header);
  } catch {
    // Reported below as an empty name.
  }
  if (file === "") throw new LbError("INVALID_REQUEST", `${CONFIG_FILE_HEADER} must be a URI-encoded file path`);
  return { source: "file", file };
}

/** Mounts /v1/config. */
export function mountConfig(app: Hono, deps: AdminDeps): void {
  mountOperation(app, GET_CONFIG, (c) => {
    const { revision, doc } = deps.store.read();
    if (notModified(c, revision)) return notModifiedResponse(c, revision);
    const shown = redactConfig(doc);
    c.header("ETag", etag(revision));
    if (wantsYaml(c.req.header("accept"))) {
      return c.body(toYaml(shown), 200, { "Content-Type": "application/yaml; charset=utf-8" });
    }
    return c.json(shown);
  });

  mountOperation(app, PUT_CONFIG, async (c, q) => {
    const dryRun = q.dry_run;
    const source = sourceOf(c);
    const input = await readBody(c, { allowYaml: true });
    const r = await runWrite(deps, c, {
      query: q,
      source,
      precondition: (current) => checkIfMatch(c, current.revision),
      produce: () => input,
    });
    return respondWrite(c, 200, r, dryRun, r.revision, { diff: r.diff });
  });
}
