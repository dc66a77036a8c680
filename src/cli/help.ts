/**
 * The help texts: `fulcrum help` / `--help` (every command, the environment, examples) and
 * `fulcrum COMMAND --help` (its options), generated from specs.ts. Every command shown is written
 * the way this program was started (self.ts), so it can be pasted and run as it stands.
 */
import { selfCommand } from "./self.ts";
import { SPECS, type CommandSpec } from "./specs.ts";

/** One command's synopsis: name, options, positionals. */
function synopsis(spec: CommandSpec): string {
  const opts = Object.keys(spec.options).length > 0 ? " [OPTIONS]" : "";
  return `${spec.name}${opts}${spec.args ? ` ${spec.args}` : ""}`;
}

function optionLines(spec: CommandSpec): string[] {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
    return [flag, o.help] as const;
  });
  rows.push(["-h, --help", "print this help"]);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`);
}

/** `fulcrum COMMAND --help`. */
export function commandHelp(spec: CommandSpec): string {
  return [
    `usage: ${selfCommand()} ${synopsis(spec)}`,
    "",
    spec.summary,
    ...(spec.details ?? []),
    "",
    "options:",
    ...optionLines(spec),
    "",
  ].join("\n");
}

/** The example commands of the general help, each runnable where fulcrum.yaml exists and a node runs on the default admin address. */
export function examples(): string[] {
  const self = selfCommand();
  return [
    `${self} validate fulcrum.yaml`,
    `${self} start --config fulcrum.yaml`,
    `${self} export > running.yaml`,
    `${self} apply -f running.yaml`,
  ];
}

/** `fulcrum help`, `fulcrum --help`, and what a wrong command line gets on stderr. */
export function generalHelp(): string {
  const width = Math.max(...SPECS.map((s) => synopsis(s).length)) + 2;
  return [
    "fulcrum: a distributed L4/L7 load balancer for TCP, UDP and HTTP(S)",
    "",
    `usage: ${selfCommand()} COMMAND [OPTIONS]`,
    "",
    "commands:",
    ...SPECS.map((s) => `  ${synopsis(s).padEnd(width)}${s.summary}`),
    "",
    `\`${selfCommand()} COMMAND --help\` lists a command's options.`,
    "",
    "environment:",
    "  FULCRUM_DB           database path (default ./fulcrum.db)",
    "  FULCRUM_ADMIN        admin API address (default 127.0.0.1:9901)",
    "  FULCRUM_ADMIN_TOKEN  the admin API's bearer token (required to bind it beyond loopback)",
    "",
    "examples (in a folder holding fulcrum.yaml):",
    ...examples().map((e) => `  ${e}`),
    "",
  ].join("\n");
}
