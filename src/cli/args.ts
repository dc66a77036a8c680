/**
 * Argument parsing for the subcommands, on node:util's parseArgs over the options a command
 * declares in specs.ts: `--flag value`, `--flag=value`, `-f value`, booleans, positionals, and a
 * lone `--` ending the options. An unknown option, a missing value or a value on a boolean is a
 * usage error (LbError INVALID_ARGUMENT, exit 2) that says where the options are listed.
 */
import { parseArgs } from "node:util";
import { LbError } from "../errors.ts";
import { selfCommand } from "./self.ts";
import type { CommandSpec, OptionSpec } from "./specs.ts";

/** The parsed values of a spec's options: strings, `true` for booleans given, undefined when absent. */
export type OptionValues<O extends Readonly<Record<string, OptionSpec>>> = {
  -readonly [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

/** What parseCommand returns. */
export interface ParsedCommand<O extends Readonly<Record<string, OptionSpec>>> {
  values: OptionValues<O>;
  positionals: string[];
}

/** Parses `argv` (after the command name) against `spec`; a string option given twice keeps the last. */
export function parseCommand<S extends CommandSpec>(spec: S, argv: string[]): ParsedCommand<S["options"]> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, o] of Object.entries(spec.options)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as OptionValues<S["options"]>, positionals };
  } catch (e) {
    throw usageError(spec, e as Error & { code?: string });
  }
}

/** The pointer a usage error ends with: "see npm run -s fulcrum -- start --help", as this program is run. */
export function seeHelp(command: string): string {
  return `see ${selfCommand()} ${command} --help`;
}

/** node:util's messages name the option in quotes; ours say what to do next. */
function usageError(spec: CommandSpec, e: Error & { code?: string }): LbError {
  const option = /'(-[^' ]+)/.exec(e.message)?.[1] ?? "";
  const see = seeHelp(spec.name);
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new LbError("INVALID_ARGUMENT", `unknown option ${option.split("=")[0]} (${see})`);
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const long = /--([\w-]+)/.exec(e.message)?.[1];
    const takesValue = long !== undefined && spec.options[long]?.type === "string";
    return new LbError("INVALID_ARGUMENT", takesValue ? `option --${long} needs a value (${see})` : `option --${long ?? option} takes no value (${see})`);
  }
  return new LbError("INVALID_ARGUMENT", `${e.message} (${see})`);
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
