/**
 * The dashboard's overview as terminal text (`fulcrum status`): the node line, then listeners, then
 * pools with their backends: state, health, in-flight work, req/s, errors/s and p99 over the last
 * few seconds of /v1/stats/history. Pure: JSON in, text out (colour only when asked).
 */
import type { HistorySeries, HistoryView } from "../status.ts";

/** The parts of GET /v1/status shown here. */
export interface StatusJson {
  revision: number | null;
  stored_revision?: number;
  ready?: boolean;
  listeners?: { name: string; protocol: string; address: string; bound?: boolean; active_connections?: number }[];
  pools?: { name: string; algorithm: string; backends?: BackendJson[] }[];
}

interface BackendJson {
  address: string;
  state: string;
  health?: string;
  ejected?: boolean;
  ejections_total?: number;
  active_requests?: number;
}

/** What render() needs: /v1/status and /v1/stats/history as the node answered them (history may be absent). */
export interface StatusInput {
  admin: string;
  status: StatusJson;
  history: HistoryView | undefined;
  color: boolean;
  now?: Date;
}

type Paint = "red" | "green" | "yellow" | "dim" | undefined;
type Cell = string | [string, Paint];
const CODES: Record<Exclude<Paint, undefined>, string> = { red: "31", green: "32", yellow: "33", dim: "2" };

/** Columns padded to their widest cell (right-aligned where `right` says), then painted. */
function table(header: string[], rows: Cell[][], right: Set<number>, color: boolean): string[] {
  const text = (c: Cell) => (typeof c === "string" ? c : c[0]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => text(r[i] ?? "").length)));
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => {
        const t = text(c);
        const padded = right.has(i) ? t.padStart(widths[i]!) : t.padEnd(widths[i]!);
        const paint = typeof c === "string" ? undefined : c[1];
        return color && paint ? `\x1b[${CODES[paint]}m${padded}\x1b[0m` : padded;
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const mean = (xs: (number | null)[] | undefined): number => {
  const v = (xs ?? []).filter((x): x is number => x !== null);
  return v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length;
};
const last = (xs: (number | null)[] | undefined): number => {
  for (let i = (xs?.length ?? 0) - 1; i >= 0; i--) if (xs![i] !== null) return xs![i]!;
  return Number.NaN;
};
const num = (v: number) => (Number.isNaN(v) ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ms = (v: number) => (Number.isNaN(v) ? "-" : v >= 1000 ? `${(v / 1000).toFixed(1)}s` : v >= 10 ? `${v.toFixed(0)}ms` : `${v.toFixed(1)}ms`);

function find(h: HistoryView | undefined, scope: string, name: string, parent?: string): HistorySeries | undefined {
  return h?.series.find((s) => s.scope === scope && s.name === name && (parent === undefined || (s.listener ?? s.pool) === parent));
}

function errorsPerSecond(s: HistorySeries | undefined): number {
  if (!s) return Number.NaN;
  return mean(s.status_5xx.map((v, i) => (v === null ? null : v + (s.no_response[i] ?? 0))));
}

function listenerRows(input: StatusInput): string[] {
  const http = (p: string) => p === "http" || p === "https";
  const rows = (input.status.listeners ?? []).map((l): Cell[] => {
    const s = http(l.protocol) ? find(input.history, "listener", l.name) : undefined;
    return [l.name, l.protocol, l.address, l.bound === false ? ["not bound", "red"] : String(l.active_connections ?? 0),
      num(s ? mean(s.rps) : Number.NaN), num(errorsPerSecond(s)), ms(last(s?.p50_ms)), ms(last(s?.p99_ms))];
  });
  return table(["LISTENER", "PROTOCOL", "ADDRESS", "CONNS", "REQ/S", "ERR/S", "P50", "P99"], rows, new Set([3, 4, 5, 6, 7]), input.color);
}

function healthCell(b: BackendJson): Cell {
  if (b.ejected) return ["ejected", "red"];
  if (b.health === "unhealthy") return ["unhealthy", "red"];
  return b.health === "healthy" ? ["healthy", "green"] : [b.health ?? "unknown", "dim"];
}

function stateCell(state: string): Cell {
  return state === "active" ? state : [state, state === "draining" ? "yellow" : "dim"];
}

function poolRows(input: StatusInput): string[] {
  const rows: Cell[][] = [];
  for (const p of input.status.pools ?? []) {
    const backends = p.backends ?? [];
    const series = backends.map((b) => find(input.history, "backend", b.address, p.name));
    const sum = (f: (s: HistorySeries | undefined) => number) => series.reduce((n, s) => n + (Number.isNaN(f(s)) ? 0 : f(s)), 0);
    const up = backends.filter((b) => b.health !== "unhealthy" && !b.ejected && b.state !== "disabled").length;
    rows.push([`${p.name} (${p.algorithm})`, "", [`${up}/${backends.length} up`, up < backends.length ? "yellow" : undefined], "",
      input.history ? num(sum((s) => mean(s?.rps))) : "-", input.history ? num(sum(errorsPerSecond)) : "-", "", ""]);
    backends.forEach((b, i) => {
      const s = series[i];
      rows.push([`  ${b.address}`, stateCell(b.state), healthCell(b), String(b.active_requests ?? 0), num(mean(s?.rps)),
        num(errorsPerSecond(s)), ms(last(s?.p99_ms)), b.ejections_total ? String(b.ejections_total) : "0"]);
    });
  }
  return table(["POOL / BACKEND", "STATE", "HEALTH", "ACTIVE", "REQ/S", "ERR/S", "P99", "EJECTIONS"], rows, new Set([3, 4, 5, 6, 7]), input.color);
}

/** The whole screen, ending with a newline. */
export function renderStatus(input: StatusInput): string {
  const s = input.status;
  const revision = s.stored_revision !== undefined && s.stored_revision !== s.revision ? `${s.revision} (stored ${s.stored_revision})` : String(s.revision ?? "-");
  const when = (input.now ?? new Date()).toLocaleTimeString();
  const window = input.history ? `rates over the last ${input.history.time.length} s` : "no stats history on this node";
  const head = `fulcrum ${input.admin} · revision ${revision} · ${s.ready ? "ready" : "NOT READY"} · ${when} · ${window}`;
  return [head, "", ...listenerRows(input), "", ...poolRows(input), ""].join("\n");
}
