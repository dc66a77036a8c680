/**
 * Fulcrum beside nginx and HAProxy (issues 5 and 6), what ../shared/bench/peers.sh does, for
 * 128 B and 64 KiB bodies: three nginx backends serve a body file; wrk -t1 -c64 loads them
 * directly, through nginx (http + stream), HAProxy (mode http + mode tcp) and a Fulcrum node
 * (its own process: one http and one tcp listener, round_robin pool of the three). One worker or
 * thread each (`--workers N`: nginx N worker processes, HAProxy N threads, Fulcrum --workers N, as
 * ../shared/bench/peers.sh --workers N). Then a Fulcrum node holds 10,000 idle keep-alive connections and its RSS is read.
 * Env: PEERS_SECONDS (wrk duration per run, default 5), PEERS_WARMUP (unmeasured seconds per
 * target before the first size, default 1; 0 = none), PEERS_IDLE (connections, default 10000),
 * PEERS_SIZES (body sizes in bytes, default "128,65536"), PEERS_TARGETS (target names to run,
 * e.g. "fulcrum-http,nginx-http"; default all).
 * Skips with a warning when nginx, haproxy or wrk is missing. Every process is stopped by PID.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasBinary } from "../l4/helpers/peers.ts";
import { envNumber, type Report } from "./harness.ts";
import { idleConnections } from "./peers/idle.ts";
import type { Child } from "./peers/procs.ts";
import { peerTargets, pickPorts, startPeers, streamModule } from "./peers/setup.ts";
import { measureSize, warmUp, writeBody, type Target } from "./peers/side-by-side.ts";

/** PEERS_SIZES, or 128 B and 64 KiB. */
function sizes(): number[] {
  const raw = process.env.PEERS_SIZES ?? "128,65536";
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`PEERS_SIZES must be a list of byte counts, got "${raw}"`);
  return list;
}

/** The targets PEERS_TARGETS names (all when unset); an unknown name is an error. */
function chosen(all: Target[]): Target[] {
  const raw = process.env.PEERS_TARGETS;
  if (raw === undefined || raw.trim() === "") return all;
  const names = raw.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !all.some((t) => t.name === n));
  if (unknown.length > 0) throw new Error(`PEERS_TARGETS names unknown targets: ${unknown.join(", ")} (known: ${all.map((t) => t.name).join(", ")})`);
  return all.filter((t) => names.includes(t.name));
}

/** `--workers N` on the bench's command line (default 1). */
export function workersArg(argv = process.argv): number {
  const i = argv.indexOf("--workers");
  if (i < 0) return 1;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--workers needs a whole number, got "${argv[i + 1]}"`);
  return n;
}

export async function run(report: Report): Promise<void> {
  const missing = ["nginx", "haproxy", "wrk"].filter((b) => !hasBinary(b));
  if (missing.length > 0) return console.warn(`skipping peers: ${missing.join(", ")} not installed (apt-get install -y nginx-light libnginx-mod-stream haproxy wrk)`);
  const seconds = envNumber("PEERS_SECONDS", 5);
  const warmup = envNumber("PEERS_WARMUP", 1);
  const idle = envNumber("PEERS_IDLE", 10_000);
  const stream = streamModule();
  if (!stream) console.warn("no nginx stream module: the nginx-tcp row is left out");
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-peers-"));
  const children: Child[] = [];
  try {
    const sizeList = sizes();
    writeBody(dir, sizeList[0]!);
    const ports = pickPorts();
    const workers = workersArg();
    const peers = await startPeers(dir, ports, stream, children, workers);
    const list = chosen(peerTargets(ports, stream !== null));
    console.log(`  wrk -t1 -c64 -d${seconds}s --latency, ${workers} worker(s)/thread(s) each, ${navigator.hardwareConcurrency} cores (shared: figures are noisy)`);
    if (warmup > 0) await warmUp(list, warmup);
    let dirty = 0;
    for (const bytes of sizeList) dirty += await measureSize(report, dir, list, bytes, seconds);
    report({ name: "peers runs with socket errors or non-2xx", value: dirty, unit: "runs", target: "0" });
    // The side-by-side Fulcrum is done; the idle run gets a fresh node, so its RSS starts clean.
    await peers.fulcrum.stop();
    writeBody(dir, 128);
    if (idle > 0) await idleConnections(report, dir, ports.backends[0], idle);
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
