/**
 * `fulcrum validate [--strict] FILE|-`: checks a config file (or stdin) offline, exactly as a node
 * would at write time (schema, references, then a full compile, so a non-prime Maglev table or a
 * key that does not match its certificate is caught here too), then warns about what is valid but
 * likely wrong (config-warnings.ts). Exit 0 with "ok" (warnings on stderr), 1 with every error
 * and its path, or 1 on warnings with --strict.
 */
import { compileSnapshot, validateConfig } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { parseCommand, seeHelp } from "./args.ts";
import { configWarnings } from "./config-warnings.ts";
import { readConfigFile } from "./config-file.ts";
import { reportError } from "./report.ts";
import { VALIDATE } from "./specs.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Runs `validate`; resolves to the exit code. */
export async function validateCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(VALIDATE, argv);
    if (positionals.length !== 1) throw new LbError("INVALID_ARGUMENT", `one config file is needed: validate FILE, or - for stdin (${seeHelp("validate")})`);
    const doc = validateConfig(await readConfigFile(positionals[0]!));
    compileSnapshot(doc, 0);
    const warnings = configWarnings(doc);
    for (const w of warnings) console.error(`fulcrum validate: warning: ${w.path}: ${w.message}`);
    const counts = `${plural(doc.listeners.length, "listener")}, ${plural(doc.pools.length, "pool")}, ${plural(doc.certificates.length, "certificate")}`;
    if (warnings.length > 0 && values.strict) {
      console.error(`fulcrum validate: ${plural(warnings.length, "warning")}, and --strict counts them as errors`);
      return 1;
    }
    console.log(`ok (${counts})${warnings.length > 0 ? ` with ${plural(warnings.length, "warning")}` : ""}`);
    return 0;
  } catch (e) {
    return reportError("validate", e);
  }
}
