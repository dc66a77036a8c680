/**
 * Added latency at a fixed rate (issue 17): an open-loop generator (test/bench/tail/open-loop-child.ts,
 * wrk2's pacing: latency counted from when each request was due) sends 5,000 req/s for a while
 * straight to an nginx backend, through Fulcrum (http and tcp listeners) and through nginx and
 * HAProxy, in interleaved rounds. A stall shows up as queueing, not hidden by a closed loop. Added
 * latency is each target's p99 (and p99.9) minus the direct run's in the same round; the median
 * over rounds is reported beside the targets (tcp < 1 ms, http < 5 ms p99 added). The generator
 * paces on a 1 ms timer, so every latency includes up to 1 ms of pacing, the same for every
 * target (the added figures cancel it); a run where the generator itself fell further behind is
 * flagged.
 * Env: OPENLOOP_RATE (5000), OPENLOOP_SECONDS (10 per run), OPENLOOP_ROUNDS (3),
 * OPENLOOP_CONNECTIONS (32). About 4 minutes by default. Needs nginx and haproxy.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasBinary } from "../l4/helpers/peers.ts";
import { envNumber, type Report } from "./harness.ts";
import type { Child } from "./peers/procs.ts";
import { pickPorts, startPeers, streamModule } from "./peers/setup.ts";
import { writeBody, type Target } from "./peers/side-by-side.ts";
import { openLoop, type OpenLoopFigures } from "./tail/open-loop.ts";
import { median, rotate } from "./tail/rounds.ts";

const TARGETS: Record<string, string> = { "fulcrum-tcp": "< 1 ms", "fulcrum-http": "< 5 ms" };

const fmt = (x: number) => x.toFixed(2);

function printRun(round: number, t: Target, f: OpenLoopFigures): void {
  console.log(
    `  round ${round + 1} ${t.name.padEnd(13)} p50 ${fmt(f.p50).padStart(6)}  p99 ${fmt(f.p99).padStart(7)}  p99.9 ${fmt(f.p999).padStart(7)}  ` +
      `max ${fmt(f.max).padStart(7)} ms  (${f.completed}/${f.sent} answered, ${f.errors} errors; generator late p99 ${fmt(f.lagP99)} max ${fmt(f.lagMax)} ms)`,
  );
  if (f.errors > 0) console.warn(`  !! ${t.name}: ${f.errors} requests failed or were not answered`);
  // The generator is a process on the same cores: when it ran late, the load was not paced.
  if (f.lagP99 > 2) console.warn(`  !! ${t.name}: the generator itself ran ${fmt(f.lagP99)} ms late at p99 (a busy machine): this run's tail is not the target's alone`);
}

function reportAdded(report: Report, rate: number, res: Map<string, OpenLoopFigures[]>): void {
  const direct = res.get("direct")!;
  for (const [name, runs] of res) {
    report({ name: `open-loop ${rate}/s ${name} p99`, value: median(runs.map((r) => r.p99)), unit: "ms" });
    report({ name: `open-loop ${rate}/s ${name} p99.9`, value: median(runs.map((r) => r.p999)), unit: "ms" });
    if (name === "direct") continue;
    const added = (pick: (f: OpenLoopFigures) => number) => median(runs.map((r, i) => pick(r) - pick(direct[i]!)));
    report({ name: `open-loop ${rate}/s ${name} added p99 over direct`, value: added((f) => f.p99), unit: "ms", target: TARGETS[name] });
    report({ name: `open-loop ${rate}/s ${name} added p99.9 over direct`, value: added((f) => f.p999), unit: "ms", target: TARGETS[name] ? "reported" : undefined });
  }
}

export async function run(report: Report): Promise<void> {
  const missing = ["nginx", "haproxy"].filter((b) => !hasBinary(b));
  if (missing.length > 0) return console.warn(`skipping open-loop: ${missing.join(", ")} not installed`);
  const rate = envNumber("OPENLOOP_RATE", 5000);
  const seconds = envNumber("OPENLOOP_SECONDS", 10);
  const rounds = envNumber("OPENLOOP_ROUNDS", 3);
  const connections = envNumber("OPENLOOP_CONNECTIONS", 32);
  const stream = streamModule();
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-open-loop-"));
  const children: Child[] = [];
  try {
    writeBody(dir, 128);
    const p = pickPorts();
    await startPeers(dir, p, stream, children);
    const targets: Target[] = [
      { name: "direct", port: p.backends[0] },
      { name: "fulcrum-http", port: p.fulcrumHttp },
      { name: "nginx-http", port: p.nginxHttp },
      { name: "haproxy-http", port: p.haproxyHttp },
      { name: "fulcrum-tcp", port: p.fulcrumTcp },
      ...(stream ? [{ name: "nginx-tcp", port: p.nginxTcp }] : []),
      { name: "haproxy-tcp", port: p.haproxyTcp },
    ];
    console.log(`  ${rate} req/s for ${seconds} s per run over ${connections} keep-alive connections, ${rounds} interleaved rounds, 128 B bodies (shared machine: indicative)`);
    for (const t of targets) await openLoop(t.port, rate, 1, connections); // warm-up
    const res = new Map<string, OpenLoopFigures[]>(targets.map((t) => [t.name, []]));
    for (let r = 0; r < rounds; r++) {
      // direct stays first in every round: the others are compared with it.
      for (const t of [targets[0]!, ...rotate(targets.slice(1), r)]) {
        const f = await openLoop(t.port, rate, seconds, connections);
        res.get(t.name)!.push(f);
        printRun(r, t, f);
      }
    }
    reportAdded(report, rate, res);
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
