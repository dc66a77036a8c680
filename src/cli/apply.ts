/**
 * `fulcrum apply -f FILE [--admin URL] [--admin-token-file PATH] [--dry-run]`: sends a config
 * file to a running node (PUT /v1/config), then prints what changed and the revision now served.
 * The file is parsed here (YAML or JSON) and sent as JSON, so a syntax error is reported with its
 * line before anything goes over the wire. A 4xx from the node prints its errors and exits 1. The
 * file's absolute path goes along (Fulcrum-Config-File), so the node's history records the change
 * as coming from that file, and a later `start --config` of the same file knows it is current.
 */
import { resolve } from "node:path";
import { CONFIG_FILE_HEADER } from "../admin/index.ts";
import { LbError } from "../errors.ts";
import { parseCommand, seeHelp } from "./args.ts";
import { adminRequest, readToken } from "./admin-client.ts";
import { readConfigFile } from "./config-file.ts";
import { reportApiError, reportError } from "./report.ts";
import { APPLY } from "./specs.ts";

interface ApplyAnswer {
  revision: number;
  changed: boolean;
  diff?: string[];
}

/** Runs `apply`; resolves to the exit code. */
export async function applyCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(APPLY, argv);
    const file = values.file ?? positionals[0];
    if (file === undefined || positionals.length > (values.file ? 0 : 1)) {
      throw new LbError("INVALID_ARGUMENT", `one config file is needed: apply -f FILE (${seeHelp("apply")})`);
    }
    const doc = await readConfigFile(file);
    const token = await readToken(values["admin-token-file"]);
    const dryRun = values["dry-run"] === true;
    const headers = { [CONFIG_FILE_HEADER]: encodeURIComponent(resolve(file)) };
    const res = await adminRequest(values.admin, "PUT", `/v1/config${dryRun ? "?dry_run=true" : ""}`, { token, body: doc, headers });
    const body = res.json();
    if (res.status !== 200) return reportApiError("apply", res.status, body);
    const answer = body as ApplyAnswer;
    for (const line of answer.diff ?? []) console.log(line);
    if (dryRun) console.log(answer.changed ? `dry run: would change revision ${answer.revision}` : "dry run: no changes");
    else console.log(answer.changed ? `applied: revision ${answer.revision}` : `no changes: revision ${answer.revision}`);
    return 0;
  } catch (e) {
    return reportError("apply", e);
  }
}
