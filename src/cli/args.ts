/**
 * A small argv parser for the subcommands: `--flag value`, `--flag=value`, `-f value`, boolean
 * flags, and positionals. Unknown flags and missing values are usage errors (LbError
 * INVALID_ARGUMENT), which the commands turn into exit code 2.
 */
import { LbError } from "../errors.ts";

/** Declares the flags a command accepts: names (without dashes) to "string" or "boolean". */
export type FlagSpec = Record<string, "string" | "boolean">;

/** Parsed arguments: string flags, boolean flags (true when given) and positionals in order. */
export interface ParsedArgs {
  flags: Record<string, string | undefined>;
  bools: Record<string, boolean>;
  positionals: string[];
}

/**
 * Parses `argv` against `spec`. `aliases` maps short names to long ones (`{ f: "file" }`). A lone
 * `--` ends flag parsing. A string flag given twice keeps the last value.
 */
export function parseArgs(argv: string[], spec: FlagSpec, aliases: Record<string, string> = {}): ParsedArgs {
  const out: ParsedArgs = { flags: {}, bools: {}, positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m || arg === "-") {
      out.positionals.push(arg);
      continue;
    }
    const isShort = !arg.startsWith("--");
    const name = isShort ? aliases[m[1]] : m[1];
    const kind = name === undefined ? undefined : spec[name];
    if (name === undefined || kind === undefined) throw new LbError("INVALID_ARGUMENT", `unknown option ${arg.split("=")[0]}`);
    if (kind === "boolean") {
      if (m[2] !== undefined) throw new LbError("INVALID_ARGUMENT", `option --${name} takes no value`);
      out.bools[name] = true;
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new LbError("INVALID_ARGUMENT", `option ${arg} needs a value`);
    }
    out.flags[name] = value;
  }
  return out;
}

/** Splits "host:port" / "[v6]:port" into parts; the port must be 0..65535. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new LbError("INVALID_ARGUMENT", `"${s}" is not HOST:PORT (IPv6 as [::1]:9901)`);
  const host = m[1] ?? m[2];
  return { host: host === "" ? "127.0.0.1" : host, port };
}

/** Turns an admin address ("127.0.0.1:9901", "[::1]:9901" or a URL) into a base URL without a trailing slash. */
export function adminBaseUrl(s: string): string {
  if (/^https?:\/\//i.test(s)) return s.replace(/\/+$/, "");
  const { host, port } = parseHostPort(s);
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
