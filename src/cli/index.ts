/** @module The command line: parses argv and dispatches to one subcommand. */
import { commandHelp, generalHelp } from "./help.ts";
import { SPECS } from "./specs.ts";
import { versionCommand } from "./version.ts";

type Command = (args: string[]) => number | Promise<number>;

/**
 * Subcommands by name. The heavier ones load on first use, so `version` and `help` do not pay for
 * the store, the config compiler and the admin API.
 */
const COMMANDS: Record<string, Command> = {
  version: (a) => versionCommand(a),
  start: async (a) => (await import("./start-command.ts")).startCommand(a),
  upgrade: async (a) => (await import("./upgrade.ts")).upgradeCommand(a),
  validate: async (a) => (await import("./validate.ts")).validateCommand(a),
  apply: async (a) => (await import("./apply.ts")).applyCommand(a),
  export: async (a) => (await import("./export.ts")).exportCommand(a),
  status: async (a) => (await import("./status.ts")).statusCommand(a),
  maglev: async (a) => (await import("./maglev.ts")).maglevCommand(a),
  demo: async (a) => (await import("./demo.ts")).demoCommand(a),
  help: (a) => helpCommand(a),
};

/** Spellings operators type out of habit, each meaning a command. */
const ALIASES: Record<string, string> = { "--help": "help", "-h": "help", "--version": "version", "-v": "version" };

function helpCommand(args: string[]): number {
  const [name, ...extra] = args;
  if (name === undefined) {
    console.log(generalHelp());
    return 0;
  }
  const spec = SPECS.find((s) => s.name === name);
  if (!spec || extra.length > 0) {
    console.error(spec ? "fulcrum help: one command at a time" : `fulcrum help: unknown command "${name}"`);
    console.error(generalHelp());
    return 2;
  }
  console.log(commandHelp(spec));
  return 0;
}

/** True when `--help` or `-h` comes before any lone `--`. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** Runs the command line and resolves to the process exit code (2 for a usage error). */
export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const name = first === undefined ? undefined : (ALIASES[first] ?? first);
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    console.error(name === undefined ? "fulcrum: no command given" : `fulcrum: unknown command "${name}"`);
    console.error(generalHelp());
    return 2;
  }
  if (name !== "help" && asksForHelp(rest)) return helpCommand([name!]);
  return await command(rest);
}
