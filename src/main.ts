/**
 * Composition root: the only file that wires the parts together (DESIGN.md). It hands argv to the
 * command line and exits with its code; long-running commands (start) keep the process alive.
 */
import { runCli } from "./cli/index.ts";

const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exit(code);
