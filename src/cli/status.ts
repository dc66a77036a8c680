/**
 * `fulcrum status [--admin URL] [--admin-token-file PATH] [--watch] [--interval SECONDS]`: the
 * dashboard's overview in the terminal: listeners, pools, backends, health, req/s and errors
 * (status-table.ts). `--watch` redraws it every interval (2 s) until Ctrl-C, as `watch` would, and
 * keeps going (saying why) while the node does not answer.
 */
import type { HistoryView } from "../status.ts";
import { LbError } from "../errors.ts";
import { adminBaseUrl, parseCommand, seeHelp } from "./args.ts";
import { adminRequest, DEFAULT_ADMIN, readToken } from "./admin-client.ts";
import { reportApiError, reportError } from "./report.ts";
import { STATUS } from "./specs.ts";
import { renderStatus, type StatusJson } from "./status-table.ts";

/** Rates are the mean of this many recent samples (as the dashboard's figures are). */
const WINDOW_S = 5;

interface Frame {
  ok: boolean;
  text: string;
  code: number;
}

async function frame(admin: string | undefined, token: string | undefined, color: boolean): Promise<Frame> {
  const [st, hist] = await Promise.all([
    adminRequest(admin, "GET", "/v1/status", { token }),
    adminRequest(admin, "GET", `/v1/stats/history?seconds=${WINDOW_S}`, { token }),
  ]);
  if (st.status !== 200) return { ok: false, text: "", code: reportApiError("status", st.status, st.json()) };
  // A node without the history endpoint still has a status: its rates show as "-".
  const history = hist.status === 200 ? (hist.json() as HistoryView) : undefined;
  const where = adminBaseUrl(admin ?? process.env.FULCRUM_ADMIN ?? DEFAULT_ADMIN);
  return { ok: true, text: renderStatus({ admin: where, status: st.json() as StatusJson, history, color }), code: 0 };
}

function parseInterval(v: string | undefined): number {
  if (v === undefined) return 2000;
  const s = Number(v);
  if (!Number.isFinite(s) || s < 0.2 || s > 3600) throw new LbError("INVALID_ARGUMENT", `--interval must be a number of seconds from 0.2 to 3600, got "${v}"`);
  return Math.round(s * 1000);
}

/** Redraws until SIGINT/SIGTERM; a failed read is shown, and the next interval tries again. */
async function watch(admin: string | undefined, token: string | undefined, intervalMs: number, tty: boolean): Promise<number> {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  for (;;) {
    let f: Frame;
    try {
      f = await frame(admin, token, tty && !process.env.NO_COLOR);
    } catch (e) {
      f = { ok: false, text: "", code: reportError("status", e) };
    }
    // On a terminal, draw over the last frame; piped, frames follow one another.
    if (f.ok) process.stdout.write(tty ? `\x1b[H\x1b[2J${f.text}` : `${f.text}\n`);
    const timer = new Promise<"tick">((r) => setTimeout(() => r("tick"), intervalMs));
    if ((await Promise.race([timer, stopped.then(() => "stop" as const)])) === "stop") return 0;
  }
}

/** Runs `status`; resolves to the exit code (2 for a usage error, 1 when the node cannot be read). */
export async function statusCommand(argv: string[]): Promise<number> {
  try {
    const { values: args, positionals } = parseCommand(STATUS, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}" (${seeHelp("status")})`);
    const intervalMs = parseInterval(args.interval);
    const token = await readToken(args["admin-token-file"]);
    const tty = process.stdout.isTTY === true;
    if (args.watch) return await watch(args.admin, token, intervalMs, tty);
    const f = await frame(args.admin, token, tty && !process.env.NO_COLOR);
    if (f.ok) process.stdout.write(f.text);
    return f.code;
  } catch (e) {
    return reportError("status", e);
  }
}
