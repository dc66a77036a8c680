/** @module The command line: parses argv and dispatches to one subcommand. */
import { USAGE } from "./usage.ts";
import { versionCommand } from "./version.ts";

type Command = (args: string[]) => number | Promise<number>;

/**
 * Subcommands by name. The heavier ones load on first use, so `version` and `help` do not pay for
 * the store, the config compiler and the admin API.
 */
const COMMANDS: Record<string, Command> = {
  version: () => versionCommand(),
  start: async (a) => (await import("./start.ts")).startCommand(a),
  validate: async (a) => (await import("./validate.ts")).validateCommand(a),
  apply: async (a) => (await import("./apply.ts")).applyCommand(a),
  export: async (a) => (await import("./export.ts")).exportCommand(a),
  status: async (a) => (await import("./status.ts")).statusCommand(a),
  maglev: async (a) => (await import("./maglev.ts")).maglevCommand(a),
  demo: async (a) => (await import("./demo.ts")).demoCommand(a),
  help: () => {
    console.log(USAGE);
    return 0;
  },
};

/** Runs the command line and resolves to the process exit code (2 for a usage error). */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    console.error(name === undefined ? "fulcrum: no command given" : `fulcrum: unknown command "${name}"`);
    console.error(USAGE);
    return 2;
  }
  return await command(rest);
}
