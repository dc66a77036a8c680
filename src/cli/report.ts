/**
 * How the command line shows a failure: the code and message, then every detail on its own line
 * as `path: message` (config errors carry one detail per problem). Returns the exit code: 2 for a
 * usage error, 1 for everything else.
 */
import { isLbError } from "../errors.ts";

function detailLine(d: unknown): string {
  if (d && typeof d === "object") {
    const { path, message } = d as { path?: unknown; message?: unknown };
    if (typeof message === "string") return path === undefined || path === "" ? message : `${String(path)}: ${message}`;
    return JSON.stringify(d);
  }
  return String(d);
}

/** Prints `e` to stderr the way every subcommand does. */
export function reportError(command: string, e: unknown): number {
  if (isLbError(e)) {
    // A config error's message already lists its problems; with the detail lines below, the head is enough.
    const listed = e.code === "CONFIG_INVALID" && (e.details?.length ?? 0) > 0;
    const colon = e.message.indexOf(":");
    const message = listed ? `${colon < 0 ? e.message : e.message.slice(0, colon)}: fix these and try again` : e.message;
    console.error(`fulcrum ${command}: ${e.code}: ${message}`);
    for (const d of e.details ?? []) console.error(`  ${detailLine(d)}`);
    return e.code === "INVALID_ARGUMENT" ? 2 : 1;
  }
  console.error(`fulcrum ${command}: ${(e as Error)?.message ?? String(e)}`);
  return 1;
}

/** Prints an admin API error body (`{"error":{code,message,details}}`) received over HTTP. */
export function reportApiError(command: string, status: number, body: unknown): number {
  const err = (body as { error?: { code?: string; message?: string; details?: unknown[] } } | undefined)?.error;
  if (!err) {
    console.error(`fulcrum ${command}: the node answered HTTP ${status}`);
    return 1;
  }
  console.error(`fulcrum ${command}: ${err.code ?? status}: ${err.message ?? ""} (HTTP ${status})`);
  for (const d of err.details ?? []) console.error(`  ${detailLine(d)}`);
  return 1;
}
