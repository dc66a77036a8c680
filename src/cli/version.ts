import pkg from "../../package.json" with { type: "json" };
import { LbError } from "../errors.ts";
import { buildCommit } from "../obs/index.ts";
import { parseCommand } from "./args.ts";
import { reportError } from "./report.ts";
import { VERSION } from "./specs.ts";

/** `fulcrum version` (also `--version`, `-v`): prints the version, the git commit it was built from and the runtime it runs on. */
export function versionCommand(argv: string[] = []): number {
  try {
    const { positionals } = parseCommand(VERSION, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}"`);
  } catch (e) {
    return reportError("version", e);
  }
  console.log(`fulcrum ${pkg.version} (commit ${buildCommit()}, bun ${Bun.version})`);
  return 0;
}
