/**
 * Many connections on one node (issue 17): 100,000 concurrent idle client connections through a
 * tcp listener and, with a fresh node, through an http listener (keep-alive). Clients are several
 * processes (scale/client-child.ts) opening from 256 loopback source addresses (127.1.x.y) so
 * ephemeral ports do not run out; each connection is served once (one GET answered end to end)
 * and then held. The tcp listener's upstream connections go to one nginx listening on eight
 * addresses (127.0.2.1-8) for the same reason. The bench raises the open-files limit for itself
 * and everything it starts (prlimit: needs root or CAP_SYS_RESOURCE; else it holds what fits).
 * Reported: connections held, time to open them, node RSS per connection, the latency of fresh
 * requests while they are held (target p99 <= 10 ms), connections lost meanwhile.
 * Env: SCALE_CONNECTIONS (100000), SCALE_MODES ("tcp,http"), SCALE_CLIENTS (4 processes),
 * SCALE_INFLIGHT (opening at once per client, 100: Bun listens with a backlog of 512),
 * SCALE_FRESH (fresh requests, 300, 20 ms apart). About 2-4 minutes. Needs nginx and prlimit.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, hasBinary } from "../l4/helpers/peers.ts";
import { envNumber, type Report } from "./harness.ts";
import { spawnChild, startFulcrumChild, vmRssKiB, waitHttp200, type Child } from "./peers/procs.ts";
import { writeBody } from "./peers/side-by-side.ts";
import { startClients } from "./scale/clients.ts";
import { freshLatency } from "./scale/fresh.ts";
import { backendHosts, listenOverflows, raiseFdLimit, scaleFulcrumYaml, scaleNginx } from "./scale/setup.ts";

const BACKENDS = 8;
/** fds beside the connections: listeners, stdio, admin, the WASM core, the upstream pool of an http run. */
const FD_MARGIN = 2000;

interface Setup {
  dir: string;
  backendPort: number;
  wanted: number;
  limit: number;
  clients: number;
  inflight: number;
  fresh: number;
}

async function activeConnections(adminUrl: string): Promise<number> {
  const res = await fetch(`${adminUrl}/v1/status`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { listeners: { name: string; active_connections?: number }[] };
  return body.listeners.find((l) => l.name === "scale")?.active_connections ?? -1;
}

async function runMode(report: Report, mode: "tcp" | "http", setup: Setup): Promise<void> {
  const s = { ...setup, count: fitting(mode, setup.wanted, setup.limit) };
  const port = freePort();
  const cfg = join(s.dir, `scale-${mode}.yaml`);
  const backends = backendHosts(BACKENDS).map((h) => `${h}:${s.backendPort}`);
  writeFileSync(cfg, scaleFulcrumYaml(mode, port, backends, s.count + 1000));
  const node = await startFulcrumChild(cfg, {}, `fulcrum-${mode}`);
  const clients = startClientsLater();
  try {
    await waitHttp200(port, node);
    await Bun.sleep(1000);
    const before = vmRssKiB(node.pid);
    // The same probe with nothing held: what the machine alone adds (a shared one adds a lot).
    const baseline = await freshLatency(port, s.fresh, 20);
    const overflows = listenOverflows();
    clients.set(startClients(port, s.count, s.clients, s.inflight));
    const opened = await clients.get()!.ready(Math.max(120_000, s.count * 3));
    await Bun.sleep(2000);
    const held = vmRssKiB(node.pid);
    const active = await activeConnections(node.node.url);
    const fresh = await freshLatency(port, s.fresh, 20);
    const lost = clients.get()!.closed();
    const label = `scale ${mode}`;
    console.log(
      `  ${mode}: ${opened.opened} served and held (${opened.failed} failed) in ${(opened.ms / 1000).toFixed(1)} s; node reports ${active} open; ` +
        `RSS ${(before / 1024).toFixed(0)} -> ${(held / 1024).toFixed(0)} MiB; fresh requests p50 ${fresh.p50.toFixed(2)} p99 ${fresh.p99.toFixed(2)} max ${fresh.max.toFixed(2)} ms ` +
        `(with none held: p50 ${baseline.p50.toFixed(2)} p99 ${baseline.p99.toFixed(2)} max ${baseline.max.toFixed(2)} ms) ` +
        `(${fresh.failed} failed); ${lost} held connections closed meanwhile; accept-queue overflows (machine-wide) ${listenOverflows() - overflows}`,
    );
    report({ name: `${label}: connections held`, value: opened.opened, unit: "conns", target: `${s.count}` });
    report({ name: `${label}: connections the node reports open`, value: active, unit: "conns", target: `${s.count}` });
    report({ name: `${label}: time to open and serve them`, value: opened.ms / 1000, unit: "s" });
    report({ name: `${label}: node VmRSS with them held`, value: held / 1024, unit: "MiB" });
    report({ name: `${label}: node VmRSS per connection`, value: opened.opened > 0 ? (held - before) / opened.opened : 0, unit: "KiB" });
    report({ name: `${label}: fresh request p99 while held`, value: fresh.p99, unit: "ms", target: "<= 10 ms" });
    report({ name: `${label}: fresh request max while held`, value: fresh.max, unit: "ms" });
    report({ name: `${label}: fresh request p99 with none held (the machine)`, value: baseline.p99, unit: "ms" });
    report({ name: `${label}: failures (open, fresh, held lost)`, value: opened.failed + fresh.failed + lost, unit: "", target: "0" });
  } finally {
    await clients.get()?.stop();
    await node.stop();
  }
}

/** A slot for the client set, so `finally` stops it even when it was started late or not at all. */
function startClientsLater() {
  let set: ReturnType<typeof startClients> | undefined;
  return { set: (c: ReturnType<typeof startClients>) => void (set = c), get: () => set };
}

function modes(): ("tcp" | "http")[] {
  const raw = process.env.SCALE_MODES ?? "tcp,http";
  const list = raw.split(",").map((m) => m.trim());
  if (list.some((m) => m !== "tcp" && m !== "http")) throw new Error(`SCALE_MODES must list tcp and/or http, got "${raw}"`);
  return list as ("tcp" | "http")[];
}

/** How many connections the open-files limit allows: a tcp run holds two fds per connection in the node. */
function fitting(mode: "tcp" | "http", wanted: number, limit: number): number {
  const fits = Math.floor((limit - FD_MARGIN) / (mode === "tcp" ? 2 : 1));
  if (fits >= wanted) return wanted;
  console.warn(`  !! ${mode}: the open-files limit (${limit}) holds ${fits} connections in the node, not ${wanted}`);
  return Math.max(0, fits);
}

export async function run(report: Report): Promise<void> {
  const missing = ["nginx", "prlimit"].filter((b) => !hasBinary(b));
  if (missing.length > 0) return console.warn(`skipping scale: ${missing.join(", ")} not installed`);
  const list = modes();
  const wanted = envNumber("SCALE_CONNECTIONS", 100_000);
  const limit = raiseFdLimit(2 * wanted + FD_MARGIN);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-scale-"));
  const children: Child[] = [];
  try {
    writeBody(dir, 128);
    const backendPort = freePort();
    writeFileSync(join(dir, "scale-backend.conf"), scaleNginx(dir, backendHosts(BACKENDS), backendPort, wanted));
    const nginx = spawnChild("scale-backend", ["nginx", "-p", dir, "-c", join(dir, "scale-backend.conf")], dir);
    children.push(nginx);
    await Bun.sleep(300);
    if (!nginx.alive()) throw new Error(`the scale backend did not start:\n${nginx.log()}`);
    console.log(`  ${wanted} connections per run wanted, open-files limit ${limit}, ${navigator.hardwareConcurrency} cores (shared: indicative)`);
    const setup: Setup = { dir, backendPort, wanted, limit, clients: envNumber("SCALE_CLIENTS", 4), inflight: envNumber("SCALE_INFLIGHT", 100), fresh: envNumber("SCALE_FRESH", 300) };
    for (const mode of list) await runMode(report, mode, setup);
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
