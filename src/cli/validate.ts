/**
 * `fulcrum validate FILE`: checks a config file offline, exactly as a node would at write time
 * (schema, references, then a full compile, so a non-prime Maglev table or a key that does not
 * match its certificate is caught here too). Exit 0 and "ok", or 1 with every error and its path.
 */
import { compileSnapshot, validateConfig } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { parseArgs } from "./args.ts";
import { readConfigFile } from "./config-file.ts";
import { reportError } from "./report.ts";

/** Runs `validate`; resolves to the exit code. */
export async function validateCommand(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {});
    if (args.positionals.length !== 1) throw new LbError("INVALID_ARGUMENT", "usage: fulcrum validate FILE");
    const doc = validateConfig(await readConfigFile(args.positionals[0]));
    compileSnapshot(doc, 0);
    const n = (xs: unknown[] | undefined, word: string) => `${xs?.length ?? 0} ${word}${xs?.length === 1 ? "" : "s"}`;
    console.log(`ok (${n(doc.listeners, "listener")}, ${n(doc.pools, "pool")}, ${n(doc.certificates, "certificate")})`);
    return 0;
  } catch (e) {
    return reportError("validate", e);
  }
}
