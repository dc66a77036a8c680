/**
 * The measuring half of the side-by-side bench: for each body size, rewrite the backends' body
 * file, check every target serves exactly that body, then one wrk run per target in peers.sh's
 * order (direct, nginx-http, haproxy-http, fulcrum-http, nginx-tcp, haproxy-tcp, fulcrum-tcp), then a bare Bun relay as the ceiling reference and
 * report req/s, p99 and the issue ratios. Targets already run; this file only measures.
 */
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Report } from "../harness.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

/** A place wrk can load: a name from peers.sh's table and a loopback port. */
export interface Target {
  name: string;
  port: number;
}

/** Writes `bytes` of `x` as `dir`/body, atomically (nginx opens the file per request). */
export function writeBody(dir: string, bytes: number): void {
  const tmp = join(dir, "body.tmp");
  writeFileSync(tmp, "x".repeat(bytes));
  renameSync(tmp, join(dir, "body"));
}

/** Throws unless `GET /` through `t` answers 200 with a body of exactly `bytes`. */
async function checkServes(t: Target, bytes: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${t.port}/`, { signal: AbortSignal.timeout(5000) });
  const body = await res.arrayBuffer();
  if (res.status !== 200 || body.byteLength !== bytes) {
    throw new Error(`${t.name} (port ${t.port}) answered ${res.status} with ${body.byteLength} B, expected 200 with ${bytes} B`);
  }
}

/** Unmeasured runs so Fulcrum's JIT (and every peer's caches) are warm before the first figure. */
export async function warmUp(targets: readonly Target[], seconds: number): Promise<void> {
  for (const t of targets) await runWrk(t.port, seconds);
}

const fmt = (x: number, digits = 3) => x.toFixed(digits);

/**
 * Runs every target once at `bytes` and reports its figures; returns the number of runs that saw
 * socket errors or non-2xx/3xx answers (each printed with console.warn).
 */
export async function measureSize(report: Report, dir: string, targets: readonly Target[], bytes: number, seconds: number): Promise<number> {
  writeBody(dir, bytes);
  for (const t of targets) await checkServes(t, bytes);
  const label = bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
  const results = new Map<string, WrkResult>();
  let dirty = 0;
  for (const t of targets) {
    const r = await runWrk(t.port, seconds);
    results.set(t.name, r);
    const direct = results.get("direct")?.rps;
    const over = direct === undefined ? "" : `  over direct ${fmt(r.rps / direct)}`;
    console.log(
      `  ${label.padEnd(7)} ${t.name.padEnd(13)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${fmt(r.p50Ms).padStart(8)} ms  ` +
        `p99 ${fmt(r.p99Ms).padStart(8)} ms${over}  (${r.requests} requests)`,
    );
    if (r.errors.length > 0) {
      dirty++;
      console.warn(`  !! ${label} ${t.name}: ${r.errors.join("; ")}`);
    }
  }
  for (const t of targets) {
    const r = results.get(t.name)!;
    report({ name: `peers ${label} ${t.name}`, value: r.rps, unit: "req/s" });
    report({ name: `peers ${label} ${t.name} p99`, value: r.p99Ms, unit: "ms" });
  }
  reportRatios(report, label, bytes, results);
  return dirty;
}

function reportRatios(report: Report, label: string, bytes: number, r: Map<string, WrkResult>): void {
  const small = bytes <= 128;
  const ratio = (a: string, b: string, pick: (w: WrkResult) => number): number | null => {
    const x = r.get(a), y = r.get(b);
    return x && y ? pick(x) / pick(y) : null;
  };
  const rows: [string, number | null, string][] = [
    [`fulcrum-http / nginx-http req/s`, ratio("fulcrum-http", "nginx-http", (w) => w.rps), small ? ">= 1.2" : ">= 1"],
    [`fulcrum-http p99 / nginx-http p99`, ratio("fulcrum-http", "nginx-http", (w) => w.p99Ms), small ? "<= 1" : "reference"],
    [`fulcrum-tcp / haproxy-tcp req/s`, ratio("fulcrum-tcp", "haproxy-tcp", (w) => w.rps), small ? ">= 1.2" : ">= 1"],
    [`fulcrum-tcp p99 / haproxy-tcp p99`, ratio("fulcrum-tcp", "haproxy-tcp", (w) => w.p99Ms), small ? "<= 1" : "reference"],
    [`fulcrum-tcp / nginx-http req/s (ceiling ref)`, ratio("fulcrum-tcp", "nginx-http", (w) => w.rps), "reference"],
    // what the least possible proxy on Bun sockets reaches: no Fulcrum HTTP engine can exceed it
    [`bun-bare-relay / nginx-http req/s (ceiling)`, ratio("bun-bare-relay", "nginx-http", (w) => w.rps), "reference"],
    [`bun-bare-relay / haproxy-tcp req/s (ceiling)`, ratio("bun-bare-relay", "haproxy-tcp", (w) => w.rps), "reference"],
    [`fulcrum-http / bun-bare-relay req/s`, ratio("fulcrum-http", "bun-bare-relay", (w) => w.rps), "reference"],
  ];
  for (const [name, value, target] of rows) {
    if (value !== null) report({ name: `peers ${label} ${name}`, value, unit: "x", target });
  }
}
