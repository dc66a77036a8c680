/**
 * Composition root: the only file that wires the parts together (DESIGN.md). It hands argv to the
 * command line and exits with its code; long-running commands (start) keep the process alive.
 * Before anything else is loaded, `start` and `demo` make sure Bun's allocator settings are in
 * the environment, re-executing in place (same PID) when they are not (cli/allocator-env.ts).
 */
import { ensureAllocatorEnv } from "./cli/allocator-env.ts";

ensureAllocatorEnv(process.argv.slice(2));
const { runCli } = await import("./cli/index.ts");
const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exit(code);
