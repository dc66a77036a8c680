/**
 * Issue 14's scaling figure judged against its peers in the same run (`bun run bench scaling`):
 * what a second worker adds to nginx (worker processes), HAProxy (threads) and Fulcrum (--workers),
 * http and tcp, 128 B bodies, wrk -t1 -c64. Two full side-by-side sets run at once (peers/setup.ts:
 * backends, nginx, HAProxy, Fulcrum), one with 1 worker each and one with 2; each round loads every
 * target of set 1 then the same target of set 2, back to back, so both see the same machine. The
 * gain is the median over rounds of 2-worker req/s over 1-worker req/s, per target.
 * On this 2-core box wrk takes about one core, so no proxy can double; the gain says how much of
 * the second core each one turns into throughput.
 * Five rounds by default: with three, the per-round gains of one target spread 1.02-1.39 and the
 * medians of nginx, HAProxy and Fulcrum swapped order between runs. Each target is warmed 3 s
 * first: Fulcrum's 2 workers are two VMs compiling their own code on half the requests each, and
 * after 1 s their compiler threads still took ~3 µs a request of the first round.
 * Env: SCALING_SECONDS (per wrk run, default 5), SCALING_ROUNDS (default 5), SCALING_WARM_SECONDS
 * (default 3).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasBinary } from "../l4/helpers/peers.ts";
import { envNumber, type Report } from "./harness.ts";
import type { Child } from "./peers/procs.ts";
import { peerTargets, pickPorts, startPeers, streamModule } from "./peers/setup.ts";
import { warmUp, writeBody } from "./peers/side-by-side.ts";
import { runWrk } from "./peers/wrk.ts";

// The bare Bun relay (peers/bare-relay.ts, one process per worker) is the ceiling: what a second
// worker can add to a proxy that does nothing but move bytes on Bun's sockets.
const PROXIES = ["nginx-http", "haproxy-http", "fulcrum-http", "nginx-tcp", "haproxy-tcp", "fulcrum-tcp", "bun-bare-relay"];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(report: Report): Promise<void> {
  const missing = ["nginx", "haproxy", "wrk"].filter((b) => !hasBinary(b));
  if (missing.length > 0) return console.warn(`skipping scaling: ${missing.join(", ")} not installed`);
  const seconds = envNumber("SCALING_SECONDS", 5);
  const rounds = envNumber("SCALING_ROUNDS", 5);
  const warm = envNumber("SCALING_WARM_SECONDS", 3);
  const stream = streamModule();
  const dirs = [1, 2].map((w) => mkdtempSync(join(tmpdir(), `fulcrum-scaling-${w}-`)));
  const children: Child[] = [];
  try {
    const sets = [];
    for (const [i, workers] of [1, 2].entries()) {
      writeBody(dirs[i]!, 128);
      const ports = pickPorts();
      await startPeers(dirs[i]!, ports, stream, children, workers);
      const targets = peerTargets(ports, stream !== null).filter((t) => PROXIES.includes(t.name));
      sets.push({ workers, targets });
    }
    console.log(`  wrk -t1 -c64 -d${seconds}s, 128 B, ${rounds} rounds, ${navigator.hardwareConcurrency} cores shared with wrk`);
    for (const s of sets) await warmUp(s.targets, warm);
    const gains = new Map<string, number[]>();
    const rps = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (let t = 0; t < sets[0]!.targets.length; t++) {
        const name = sets[0]!.targets[t]!.name;
        const one = await runWrk(sets[0]!.targets[t]!.port, seconds);
        const two = await runWrk(sets[1]!.targets[t]!.port, seconds);
        for (const [w, res] of [[1, one], [2, two]] as const) {
          if (res.errors.length > 0) console.warn(`  ${name} ×${w}: ${res.errors.join("; ")}`);
          rps.set(`${name} ×${w}`, [...(rps.get(`${name} ×${w}`) ?? []), res.rps]);
        }
        gains.set(name, [...(gains.get(name) ?? []), two.rps / one.rps]);
        console.log(`  round ${r + 1} ${name.padEnd(13)} 1 worker ${one.rps.toFixed(0).padStart(7)} req/s, 2 workers ${two.rps.toFixed(0).padStart(7)} req/s: ${(two.rps / one.rps).toFixed(3)}×`);
      }
    }
    for (const name of sets[0]!.targets.map((t) => t.name)) {
      report({ name: `${name} 1 worker (median)`, value: median(rps.get(`${name} ×1`)!), unit: "req/s" });
      report({ name: `${name} 2 workers (median)`, value: median(rps.get(`${name} ×2`)!), unit: "req/s" });
      const g = gains.get(name)!;
      report({ name: `${name} 2 workers over 1 (median; spread ${Math.min(...g).toFixed(2)}-${Math.max(...g).toFixed(2)})`, value: median(g), unit: "×" });
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
