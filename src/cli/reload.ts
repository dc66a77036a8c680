/**
 * SIGHUP's reload (FulcrumNode.reload): re-read the `--config` file and apply it through the one write path, exactly
 * as `fulcrum apply` would (validate, compile, check the data plane can serve it, store, publish).
 * A file that does not read or validate changes nothing; the error is logged and the running
 * revision keeps serving.
 */
import type { ChangeResult } from "../control/index.ts";
import { isLbError } from "../errors.ts";
import type { Logger } from "../obs/index.ts";
import type { Store } from "../store/index.ts";

/** Why a reload failed, on one line: the code, the message, and each problem's path. */
function failure(e: unknown): string {
  if (!isLbError(e)) return oneLine((e as Error)?.message ?? String(e));
  const details = (e.details ?? []).map((d) => {
    const { path, message } = (d ?? {}) as { path?: unknown; message?: unknown };
    return typeof message === "string" ? (path ? `${String(path)}: ${message}` : message) : JSON.stringify(d);
  });
  const head = e.code === "CONFIG_INVALID" && details.length > 0 ? e.message.split(":")[0] : e.message;
  return oneLine(`${e.code}: ${head}${details.length > 0 ? ` (${details.join("; ")})` : ""}`);
}

/** A log line stays one line (YAML's pretty errors span several). */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Reloads `file` into the node behind `deps`; never throws. A changed document is logged by the
 * config follower as its new revision; here only "unchanged" and failures are said.
 */
export async function reloadConfigFile(store: Store, reload: () => Promise<ChangeResult>, file: string, log: Logger): Promise<void> {
  const before = store.read().revision;
  log.info(`SIGHUP: reloading ${file}`, { signal: "SIGHUP", file });
  try {
    const r = await reload();
    if (!r.changed) log.info(`SIGHUP: ${file} unchanged; revision ${r.revision} keeps serving`, { signal: "SIGHUP", file, revision: r.revision });
  } catch (e) {
    log.error(`SIGHUP: ${file} not applied, revision ${before} keeps serving: ${failure(e)}`, { signal: "SIGHUP", file, revision: before });
  }
}
