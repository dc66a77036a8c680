/**
 * What `start` does with the database it opens and the `--config` file it is given. The database
 * is the running state; a config file is an input. So the file is applied like `apply` (its diff
 * printed), except that it may not silently overwrite changes made since that file was last
 * applied (through the API, another file, another node): start refuses, naming them, unless
 * `--force`. The history's sources say which changes those are.
 */
import { resolve } from "node:path";
import type { ConfigControl } from "../control/index.ts";
import { LbError } from "../errors.ts";
import { exposedFiles, type RevisionEntry, type Store } from "../store/index.ts";
import { readConfigFile } from "./config-file.ts";

/** How many foreign changes the refusal lists. */
const SHOWN = 5;

/** Warns when group or others may read the database: it holds private keys. */
export function warnExposed(dbPath: string, log: (line: string) => void): void {
  const exposed = exposedFiles(dbPath);
  if (exposed.length === 0) return;
  const modes = exposed.map((f) => `${f.file} (mode ${f.mode.toString(8).padStart(3, "0")})`).join(", ");
  log(`warning: ${modes} can be read by other users, and the database holds private keys; run: chmod 600 ${exposed.map((f) => f.file).join(" ")}`);
}

/** True when `e` was made from the config file at absolute `path` (start --config, apply -f, SIGHUP). */
function fromFile(e: RevisionEntry, path: string): boolean {
  return (e.source === "file" || e.source === "sighup") && e.file !== undefined && resolve(e.file) === path;
}

function madeBy(e: RevisionEntry): string {
  if (e.source === "api") return "through the API";
  if (e.source === "cluster") return "by another node";
  return `${e.source === "sighup" ? "by SIGHUP " : ""}from ${e.file ?? "a file"}`;
}

/**
 * Throws CONFLICT when `history` (newest first) holds changes made since the file at `path` was
 * last applied, listing them and what applying the file would change (`diff`).
 */
export function refuseOverwrite(history: readonly RevisionEntry[], file: string, path: string, diff: readonly string[]): void {
  const since: RevisionEntry[] = [];
  for (const e of history) {
    if (fromFile(e, path)) break;
    since.push(e);
  }
  if (since.length === 0) return;
  const details: { path: string; message: string }[] = since.slice(0, SHOWN).map((e) => ({
    path: `revision ${e.revision}`,
    message: `${madeBy(e)} at ${e.at}: ${e.summary}`,
  }));
  if (since.length > SHOWN) details.push({ path: "", message: "and earlier changes (GET /v1/revisions)" });
  for (const line of diff) details.push({ path: `${file} would apply`, message: line });
  throw new LbError(
    "CONFLICT",
    `${file} would overwrite changes made since it was last applied (the database is the running state; a config file is an input). ` +
      `To keep them, merge them into ${file} (fulcrum export prints the running config); to overwrite them, start with --config ${file} --force`,
    { details },
  );
}

/** Applies `file` at start and prints its diff; refuses to overwrite other changes unless `force`. */
export async function applyConfigFile(
  node: { control: ConfigControl; store: Store },
  file: string,
  force: boolean,
  log: (line: string) => void,
): Promise<void> {
  const path = resolve(file);
  const r = await node.control.apply(await readConfigFile(file), {
    source: "file",
    file: path,
    summary: `start --config ${file}${force ? " --force" : ""}`,
    approve: force ? undefined : (_current, plan) => refuseOverwrite(node.store.history(SHOWN + 1), file, path, plan.diff),
  });
  for (const line of r.diff) log(line);
  log(r.changed ? `applied ${file}: revision ${r.revision}` : `no changes from ${file}: revision ${r.revision}`);
}
