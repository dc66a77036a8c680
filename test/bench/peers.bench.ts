/**
 * Fulcrum beside nginx and HAProxy (issues 5 and 6), what ../shared/bench/peers.sh does, for
 * 128 B and 64 KiB bodies: three nginx backends serve a body file; wrk -t1 -c64 loads them
 * directly, through nginx (http + stream), HAProxy (mode http + mode tcp) and a Fulcrum node
 * (its own process: one http and one tcp listener, round_robin pool of the three). One worker or
 * thread each (`--workers N`: nginx N worker processes, HAProxy N threads, Fulcrum --workers N, as
 * ../shared/bench/peers.sh --workers N). Then a Fulcrum node holds 10,000 idle keep-alive connections and its RSS is read.
 * Env: PEERS_SECONDS (wrk duration per run, default 5), PEERS_WARMUP (unmeasured seconds per
 * target before the first size, default 1; 0 = none), PEERS_IDLE (connections, default 10000).
 * Skips with a warning when nginx, haproxy or wrk is missing. Every process is stopped by PID.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, hasBinary } from "../l4/helpers/peers.ts";
import type { Report } from "./harness.ts";
import { fulcrumYaml, haproxy, nginxBackends, nginxLb, type PeerPorts } from "./peers/configs.ts";
import { idleConnections } from "./peers/idle.ts";
import { spawnChild, startFulcrumChild, waitHttp200, type Child } from "./peers/procs.ts";
import { measureSize, warmUp, writeBody, type Target } from "./peers/side-by-side.ts";

const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";
const SIZES = [128, 65_536];

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

/** Ports picked free a moment ago (bind 0, read, release); the processes fail loudly if one was taken since. */
function pickPorts(): PeerPorts {
  return {
    backends: [freePort(), freePort(), freePort()],
    nginxHttp: freePort(),
    nginxTcp: freePort(),
    haproxyHttp: freePort(),
    haproxyTcp: freePort(),
    fulcrumHttp: freePort(),
    fulcrumTcp: freePort(),
    bareRelay: freePort(),
  };
}

/** Starts every peer; each started child is pushed onto `children` at once, so the caller can stop it. */
async function startPeers(dir: string, p: PeerPorts, stream: string | null, children: Child[], workers: number): Promise<void> {
  writeFileSync(join(dir, "backends.conf"), nginxBackends(dir, p.backends));
  writeFileSync(join(dir, "nginx-lb.conf"), nginxLb(dir, p, stream, workers));
  writeFileSync(join(dir, "haproxy.cfg"), haproxy(p, workers));
  writeFileSync(join(dir, "fulcrum.yaml"), fulcrumYaml(p.fulcrumHttp, p.fulcrumTcp, p.backends));
  const backends = spawnChild("backends", ["nginx", "-p", dir, "-c", join(dir, "backends.conf")], dir);
  children.push(backends);
  for (const b of p.backends) await waitHttp200(b, backends);
  const lb = spawnChild("nginx-lb", ["nginx", "-p", dir, "-c", join(dir, "nginx-lb.conf")], dir);
  children.push(lb);
  const ha = spawnChild("haproxy", ["haproxy", "-db", "-f", join(dir, "haproxy.cfg")], dir);
  children.push(ha);
  const fulcrum = await startFulcrumChild(join(dir, "fulcrum.yaml"), workers);
  children.push(fulcrum);
  const bare = spawnChild("bun-bare-relay", [process.execPath, join(import.meta.dir, "peers", "bare-relay.ts"), String(p.bareRelay), ...p.backends.map(String)], dir);
  children.push(bare);
  await waitHttp200(p.nginxHttp, lb);
  if (stream) await waitHttp200(p.nginxTcp, lb);
  await waitHttp200(p.haproxyHttp, ha);
  await waitHttp200(p.haproxyTcp, ha);
  await waitHttp200(p.fulcrumHttp, fulcrum);
  await waitHttp200(p.fulcrumTcp, fulcrum);
  await waitHttp200(p.bareRelay, bare);
}

function targets(p: PeerPorts, stream: boolean): Target[] {
  return [
    { name: "direct", port: p.backends[0] },
    { name: "nginx-http", port: p.nginxHttp },
    { name: "haproxy-http", port: p.haproxyHttp },
    { name: "fulcrum-http", port: p.fulcrumHttp },
    ...(stream ? [{ name: "nginx-tcp", port: p.nginxTcp }] : []),
    { name: "haproxy-tcp", port: p.haproxyTcp },
    { name: "fulcrum-tcp", port: p.fulcrumTcp },
    { name: "bun-bare-relay", port: p.bareRelay },
  ];
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
  const stream = existsSync(STREAM_MODULE) ? STREAM_MODULE : null;
  if (!stream) console.warn(`no ${STREAM_MODULE}: the nginx-tcp row is left out`);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-peers-"));
  const children: Child[] = [];
  try {
    writeBody(dir, SIZES[0]!);
    const ports = pickPorts();
    const workers = workersArg();
    await startPeers(dir, ports, stream, children, workers);
    const list = targets(ports, stream !== null);
    console.log(`  wrk -t1 -c64 -d${seconds}s --latency, ${workers} worker(s)/thread(s) each, ${navigator.hardwareConcurrency} cores (shared: figures are noisy)`);
    if (warmup > 0) await warmUp(list, warmup);
    let dirty = 0;
    for (const bytes of SIZES) dirty += await measureSize(report, dir, list, bytes, seconds);
    report({ name: "peers runs with socket errors or non-2xx", value: dirty, unit: "runs", target: "0" });
    // The side-by-side Fulcrum is done; the idle run gets a fresh node, so its RSS starts clean.
    await children.pop()!.stop();
    writeBody(dir, SIZES[0]!);
    if (idle > 0) await idleConnections(report, dir, ports.backends[0], idle);
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
