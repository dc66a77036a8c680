/**
 * The tail (issue 17): p99 under wrk at -c1 and -c64, http and tcp, Fulcrum beside nginx and
 * HAProxy on the same three nginx backends (the peers bench's set, 128 B bodies unless TAIL_BYTES says), in interleaved
 * rounds: each round loads every target once, the order rotating, so the host's vCPU pauses and a
 * shared machine's drift spread over all of them. Reported: each target's median p99 over the
 * rounds with every round's figure (the spread), Fulcrum's p99 over nginx's per round, req/s
 * ratios, and the page faults per request of each proxy process (perf stat -p) in steady state
 * (after an unmeasured warm-up run per target).
 * Also the CPU per request of each watched process (every thread's schedstat; user time from utime).
 * Env: TAIL_ROUNDS (5), TAIL_SECONDS (3, per wrk run), TAIL_CONNECTIONS ("1,64"), TAIL_BYTES (body
 * size, 128), TAIL_TARGETS (names to run, e.g. "fulcrum-http,nginx-http,bun-bare-relay"; default
 * every target but the bare Bun relay), TAIL_GC=1 runs the Fulcrum node with BUN_JSC_logGC=1 and
 * reports its collections per run (young and full, time stopped, heap left), TAIL_MI_DEFAULTS=1
 * adds a second Fulcrum node running with mimalloc's defaults (MIMALLOC_PURGE_DELAY=10,
 * MIMALLOC_PURGE_DECOMMITS=1) as its own rows: what the launchers' allocator settings change.
 * TAIL_BASELINE=DIR adds a node run from the checkout at DIR (e.g. /work/main) as the rows
 * fulcrum-http-base and fulcrum-tcp-base, with this tree's rows over them per round: a change's
 * A/B in the same interleaved rounds (TAIL_TARGETS may name them too).
 * About 4 minutes by default. Needs nginx, haproxy and wrk (skips with a warning otherwise).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasBinary } from "../l4/helpers/peers.ts";
import { envNumber, type Report } from "./harness.ts";
import type { Child } from "./peers/procs.ts";
import { pickPorts, startPeers, streamModule, type Peers } from "./peers/setup.ts";
import { writeBody } from "./peers/side-by-side.ts";
import { runWrk } from "./peers/wrk.ts";
import { faultSource } from "./tail/faults.ts";
import { startTreeNode, startVariantNode } from "./tail/second-node.ts";
import { interleavedRounds, median, roundRatios, type RoundResults, type RoundTarget, type RunFigures } from "./tail/rounds.ts";

const MI_DEFAULTS = { MIMALLOC_PURGE_DELAY: "10", MIMALLOC_PURGE_DECOMMITS: "1" };

function connectionCounts(): number[] {
  const raw = process.env.TAIL_CONNECTIONS ?? "1,64";
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`TAIL_CONNECTIONS must be a list of positive integers, got "${raw}"`);
  return list;
}

/** Rows of the second nodes (TAIL_MI_DEFAULTS, TAIL_BASELINE), which TAIL_TARGETS may name too. */
const SECOND_NODE_ROWS = ["fulcrum-http-mi-defaults", "fulcrum-tcp-mi-defaults", "fulcrum-http-base", "fulcrum-tcp-base"];

/** `extra` rows placed each just after the row it compares with (its name less the suffix), so rotated rounds still alternate the pair. */
function besideTheirPair(targets: RoundTarget[], extra: readonly RoundTarget[], suffix: string): RoundTarget[] {
  const chosen = chosenTargets();
  const out = [...targets];
  for (const t of extra) {
    if (chosen !== null && !chosen.has(t.name)) continue;
    const at = out.findIndex((o) => o.name === t.name.slice(0, -suffix.length));
    out.splice(at < 0 ? out.length : at + 1, 0, t);
  }
  return out;
}

/** TAIL_TARGETS as a set of names, or null (the default list). */
function chosenTargets(): Set<string> | null {
  const raw = process.env.TAIL_TARGETS;
  return raw === undefined || raw.trim() === "" ? null : new Set(raw.split(",").map((s) => s.trim()));
}

function targetsOf(p: ReturnType<typeof pickPorts>, peers: Peers, stream: boolean, gc: boolean): RoundTarget[] {
  const gcLog = gc ? () => peers.fulcrum.node.stderr() : undefined;
  // Pairs of ours and theirs, so a rotation still alternates them.
  const all: RoundTarget[] = [
    { name: "fulcrum-http", port: p.fulcrumHttp, pid: peers.fulcrum.pid, gcLog },
    { name: "nginx-http", port: p.nginxHttp, pid: peers.nginx.pid },
    { name: "haproxy-http", port: p.haproxyHttp, pid: peers.haproxy.pid },
    { name: "direct", port: p.backends[0] },
    { name: "fulcrum-tcp", port: p.fulcrumTcp, pid: peers.fulcrum.pid, gcLog },
    ...(stream ? [{ name: "nginx-tcp", port: p.nginxTcp, pid: peers.nginx.pid }] : []),
    { name: "haproxy-tcp", port: p.haproxyTcp, pid: peers.haproxy.pid },
    // what the least possible relay on Bun sockets gets (its own collections included)
    { name: "bun-bare-relay", port: p.bareRelay, pid: peers.bare.pid },
  ];
  const chosen = chosenTargets();
  if (chosen === null) return all.filter((t) => t.name !== "bun-bare-relay");
  const unknown = [...chosen].filter((n) => !all.some((t) => t.name === n) && !SECOND_NODE_ROWS.includes(n));
  if (unknown.length > 0) throw new Error(`TAIL_TARGETS names unknown targets: ${unknown.join(", ")} (known: ${all.map((t) => t.name).join(", ")})`);
  return all.filter((t) => chosen.has(t.name));
}

const sizeLabel = (bytes: number) => (bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** A per-request figure over all `runs` together (utime's 10 ms ticks are too coarse for one 3 s run). */
function pooled(runs: readonly RunFigures[], per: (r: RunFigures) => number): number {
  const n = runs.reduce((a, r) => a + r.requests, 0);
  return runs.reduce((a, r) => a + per(r) * r.requests, 0) / Math.max(1, n);
}

function printTarget(c: string, name: string, runs: readonly RunFigures[]): void {
  const p99 = runs.map((r) => r.p99Ms);
  const faults = runs.map((r) => r.faultsPerRequest).filter((f): f is number => f !== null);
  const cpu = runs.map((r) => r.cpuUsPerRequest).filter((f): f is number => f !== null);
  const f = (faults.length > 0 ? `  faults/req ${median(faults).toFixed(3)}` : "") +
    (cpu.length > 0 ? `  cpu µs/req ${median(cpu).toFixed(2)} [${cpu.map((x) => x.toFixed(2)).join(" ")}] user ${pooled(runs, (r) => r.userUsPerRequest ?? 0).toFixed(2)} (all runs)` : "");
  console.log(
    `  ${c.padEnd(12)} ${name.padEnd(25)} p99 ms ${fmt(median(p99)).padStart(6)}  [${p99.map(fmt).join(" ")}]` +
      `  req/s ${median(runs.map((r) => r.rps)).toFixed(0).padStart(6)}${f}`,
  );
  for (const r of runs) {
    if (r.gc === null) continue;
    const g = r.gc;
    console.log(
      `        GC: ${g.edens} young + ${g.fulls} full, stopped ${fmt(g.pauseMs)} ms (max ${fmt(g.maxPauseMs)}), ` +
        `a young one per ${g.edens > 0 ? (r.requests / g.edens).toFixed(0) : "-"} requests, heap after ${(g.firstAfterKb / 1024).toFixed(1)} → ${(g.lastAfterKb / 1024).toFixed(1)} MB`,
    );
  }
}

/** GC figures of `name`'s runs (TAIL_GC=1): share of the run's time the collector stopped the node, per-run medians. */
function reportGc(report: Report, c: string, name: string, runs: readonly RunFigures[], seconds: number): void {
  const gc = runs.map((r) => r.gc).filter((g) => g !== null);
  if (gc.length === 0) return;
  report({ name: `tail ${c} ${name} GC stopped share of the run`, value: median(gc.map((g) => g.pauseMs / (seconds * 1000))) * 100, unit: "%" });
  report({ name: `tail ${c} ${name} GC longest stop (median of runs)`, value: median(gc.map((g) => g.maxPauseMs)), unit: "ms" });
  report({ name: `tail ${c} ${name} young collections per 1k requests`, value: median(runs.map((r) => ((r.gc?.edens ?? 0) * 1000) / Math.max(1, r.requests))), unit: "GCs" });
  report({ name: `tail ${c} ${name} full collections (all runs)`, value: gc.reduce((n, g) => n + g.fulls, 0), unit: "GCs" });
}

/** Ratio figures of `ours` against `theirs` for one -c. */
function compare(report: Report, c: string, res: RoundResults, ours: string, theirs: string, rpsTarget?: string): void {
  if (!res.has(ours) || !res.has(theirs)) return;
  const p99 = roundRatios(res, ours, theirs, (f) => f.p99Ms);
  const rps = roundRatios(res, ours, theirs, (f) => f.rps);
  const cpu = roundRatios(res, ours, theirs, (f) => f.cpuUsPerRequest ?? NaN).filter((r) => !Number.isNaN(r));
  const n = p99.length;
  if (cpu.length > 0) report({ name: `tail ${c} ${ours} CPU per request / ${theirs}'s (median of rounds)`, value: median(cpu), unit: "x" });
  report({ name: `tail ${c} ${ours} p99 / ${theirs} p99 (median of rounds)`, value: median(p99), unit: "x", target: "<= 1" });
  report({ name: `tail ${c} rounds with ${ours} p99 <= ${theirs}`, value: p99.filter((r) => r <= 1).length, unit: `of ${n}` });
  report({ name: `tail ${c} ${ours} req/s / ${theirs} req/s (median of rounds)`, value: median(rps), unit: "x" });
  report({ name: `tail ${c} rounds with ${ours} req/s >= ${theirs}`, value: rps.filter((r) => r >= 1).length, unit: `of ${n}`, target: rpsTarget });
}

function reportConnections(report: Report, c: string, res: RoundResults, seconds: number): void {
  for (const [name, runs] of res) {
    printTarget(c, name, runs);
    reportGc(report, c, name, runs, seconds);
    report({ name: `tail ${c} ${name} p99 (median)`, value: median(runs.map((r) => r.p99Ms)), unit: "ms" });
    const faults = runs.map((r) => r.faultsPerRequest).filter((f): f is number => f !== null);
    if (faults.length > 0) {
      report({ name: `tail ${c} ${name} page faults per request`, value: median(faults), unit: "faults", target: name.startsWith("fulcrum") ? "~0, as nginx" : undefined });
    }
    const cpu = runs.map((r) => r.cpuUsPerRequest).filter((f): f is number => f !== null);
    if (cpu.length > 0) {
      report({ name: `tail ${c} ${name} CPU per request (all threads, median)`, value: median(cpu), unit: "µs" });
      report({ name: `tail ${c} ${name} user CPU per request (all runs)`, value: pooled(runs, (r) => r.userUsPerRequest ?? 0), unit: "µs" });
    }
  }
  compare(report, c, res, "fulcrum-http", "nginx-http", ">= 4 of 5");
  compare(report, c, res, "fulcrum-http", "haproxy-http");
  compare(report, c, res, "fulcrum-tcp", "nginx-tcp");
  compare(report, c, res, "fulcrum-tcp", "haproxy-tcp", ">= 4 of 5");
  compare(report, c, res, "fulcrum-http", "fulcrum-http-mi-defaults");
  compare(report, c, res, "fulcrum-http", "fulcrum-http-base");
  compare(report, c, res, "fulcrum-tcp", "fulcrum-tcp-base");
  compare(report, c, res, "fulcrum-http", "bun-bare-relay");
  compare(report, c, res, "bun-bare-relay", "nginx-http");
  // The bare relay is a tcp relay: against HAProxy's tcp mode it is the ceiling Fulcrum's tcp path is held to.
  compare(report, c, res, "fulcrum-tcp", "bun-bare-relay");
  compare(report, c, res, "bun-bare-relay", "haproxy-tcp");
}

export async function run(report: Report): Promise<void> {
  const missing = ["nginx", "haproxy", "wrk"].filter((b) => !hasBinary(b));
  if (missing.length > 0) return console.warn(`skipping tail: ${missing.join(", ")} not installed (apt-get install -y nginx-light libnginx-mod-stream haproxy wrk)`);
  const rounds = envNumber("TAIL_ROUNDS", 5);
  const seconds = envNumber("TAIL_SECONDS", 3);
  const bytes = envNumber("TAIL_BYTES", 128);
  const gc = process.env.TAIL_GC === "1";
  const stream = streamModule();
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-tail-"));
  const children: Child[] = [];
  try {
    writeBody(dir, bytes);
    const ports = pickPorts();
    const peers = await startPeers(dir, ports, stream, children, 1, gc ? { BUN_JSC_logGC: "1" } : {});
    let targets = targetsOf(ports, peers, stream !== null, gc);
    if (process.env.TAIL_MI_DEFAULTS === "1") {
      const d = await startVariantNode(dir, "fulcrum-mi-defaults", ports.backends, MI_DEFAULTS, children);
      targets.push({ name: "fulcrum-http-mi-defaults", port: d.http, pid: d.child.pid }, { name: "fulcrum-tcp-mi-defaults", port: d.tcp, pid: d.child.pid });
    }
    const baseline = process.env.TAIL_BASELINE;
    if (baseline !== undefined && baseline !== "") {
      const b = await startTreeNode(dir, "fulcrum-base", baseline, ports.backends, children);
      const base = [{ name: "fulcrum-http-base", port: b.http, pid: b.child.pid }, { name: "fulcrum-tcp-base", port: b.tcp, pid: b.child.pid }];
      targets = besideTheirPair(targets, base, "-base");
    }
    console.log(`  wrk -t1 -d${seconds}s, ${rounds} interleaved rounds, ${bytes} B bodies; page faults: ${faultSource()}; ${navigator.hardwareConcurrency} cores (shared: indicative)`);
    for (const t of targets) await runWrk(t.port, 1); // warm-up: JIT, caches, upstream pools
    for (const c of connectionCounts()) {
      const res = await interleavedRounds(targets, rounds, seconds, c, (_r, t, f) => {
        if (f.errors.length > 0) console.warn(`  !! -c${c} ${t.name}: ${f.errors.join("; ")}`);
      });
      // the size joins the figures' names only when it is not the default, so those stay comparable
      reportConnections(report, bytes === 128 ? `-c${c}` : `-c${c} ${sizeLabel(bytes)}`, res, seconds);
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
