/**
 * `fulcrum export [--admin URL] [--admin-token-file PATH]`: prints the running node's config as
 * YAML (GET /v1/config, private keys left out). Feeding the output to `fulcrum apply` changes
 * nothing: the node keeps stored keys for certificates sent without one.
 */
import { LbError } from "../errors.ts";
import { adminBaseUrl, parseCommand, seeHelp } from "./args.ts";
import { adminRequest, DEFAULT_ADMIN, readToken } from "./admin-client.ts";
import { reportApiError, reportError } from "./report.ts";
import { EXPORT } from "./specs.ts";

/** Runs `export`; resolves to the exit code. */
export async function exportCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(EXPORT, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}" (${seeHelp("export")})`);
    const token = await readToken(values["admin-token-file"]);
    const res = await adminRequest(values.admin, "GET", "/v1/config", { token, accept: "application/yaml" });
    if (res.status !== 200) return reportApiError("export", res.status, res.json());
    // A comment line: harmless to `apply`, and it says where the document came from.
    const revision = res.headers.get("etag")?.replace(/"/g, "") ?? "?";
    console.log(`# fulcrum export: revision ${revision} of ${adminBaseUrl(values.admin ?? process.env.FULCRUM_ADMIN ?? DEFAULT_ADMIN)}; private keys are left out`);
    process.stdout.write(res.text.endsWith("\n") ? res.text : `${res.text}\n`);
    return 0;
  } catch (e) {
    return reportError("export", e);
  }
}
