/**
 * Starts the side-by-side set the peers and tail benches share: three nginx backends, nginx as
 * http + stream load balancer, HAProxy (mode http + mode tcp), a Fulcrum node (one http and one tcp
 * listener) and the bare Bun relay, each on a port picked at run time, and waits until every one
 * answers 200. Every started child is pushed onto the caller's list at once, so the caller stops
 * it (by PID) even when a later one fails to start.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../l4/helpers/peers.ts";
import { fulcrumYaml, haproxy, nginxBackends, nginxLb, type PeerPorts } from "./configs.ts";
import type { StartedNode } from "../../helpers/process.ts";
import { spawnChild, startFulcrumChild, waitHttp200, type Child } from "./procs.ts";
import type { Target } from "./side-by-side.ts";

const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

/** nginx's stream module, when installed (else the nginx-tcp target is left out). */
export function streamModule(): string | null {
  return existsSync(STREAM_MODULE) ? STREAM_MODULE : null;
}

/** Ports picked free a moment ago (bind 0, read, release); the processes fail loudly if one was taken since. */
export function pickPorts(): PeerPorts {
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

/** The started processes by role, for benches that watch one (its PID, its page faults). */
export interface Peers {
  backends: Child;
  nginx: Child;
  haproxy: Child;
  fulcrum: Child & { node: StartedNode };
  bare: Child;
}

/**
 * Starts every peer (see the header); `dir` receives the configs and logs. `workers`: nginx worker
 * processes, HAProxy threads and Fulcrum workers each (default 1); `fulcrumEnv` is added to the
 * Fulcrum node's environment (BUN_JSC_logGC=1, say).
 */
export async function startPeers(dir: string, p: PeerPorts, stream: string | null, children: Child[], workers = 1, fulcrumEnv: Record<string, string> = {}): Promise<Peers> {
  writeFileSync(join(dir, "backends.conf"), nginxBackends(dir, p.backends));
  writeFileSync(join(dir, "nginx-lb.conf"), nginxLb(dir, p, stream, workers));
  writeFileSync(join(dir, "haproxy.cfg"), haproxy(p, workers));
  writeFileSync(join(dir, "fulcrum.yaml"), fulcrumYaml(p.fulcrumHttp, p.fulcrumTcp, p.backends));
  const backends = spawnChild("backends", ["nginx", "-p", dir, "-c", join(dir, "backends.conf")], dir);
  children.push(backends);
  for (const b of p.backends) await waitHttp200(b, backends);
  const nginx = spawnChild("nginx-lb", ["nginx", "-p", dir, "-c", join(dir, "nginx-lb.conf")], dir);
  children.push(nginx);
  const ha = spawnChild("haproxy", ["haproxy", "-db", "-f", join(dir, "haproxy.cfg")], dir);
  children.push(ha);
  const fulcrum = await startFulcrumChild(join(dir, "fulcrum.yaml"), fulcrumEnv, "fulcrum", workers);
  children.push(fulcrum);
  // One bare relay process per worker, sharing the port (reusePort), as nginx's worker processes do.
  const bares = Array.from({ length: workers }, (_, i) => spawnChild(i === 0 ? "bun-bare-relay" : `bun-bare-relay-${i + 1}`, [process.execPath, join(import.meta.dir, "bare-relay.ts"), String(p.bareRelay), ...p.backends.map(String)], dir));
  children.push(...bares);
  const bare = bares[0]!;
  await waitHttp200(p.nginxHttp, nginx);
  if (stream) await waitHttp200(p.nginxTcp, nginx);
  await waitHttp200(p.haproxyHttp, ha);
  await waitHttp200(p.haproxyTcp, ha);
  await waitHttp200(p.fulcrumHttp, fulcrum);
  await waitHttp200(p.fulcrumTcp, fulcrum);
  await waitHttp200(p.bareRelay, bare);
  // The port answering proves only one copy listens; each prints "ready" once it does.
  for (const b of bares) await waitReady(b);
  return { backends, nginx, haproxy: ha, fulcrum, bare };
}

/** Every target of the side-by-side table, in peers.sh's order. */
export function peerTargets(p: PeerPorts, stream: boolean): Target[] {
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

/** Resolves once `child` has printed "ready"; throws (with its log) after `ms` or if it exits. */
async function waitReady(child: Child, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!child.log().includes("ready")) {
    if (!child.alive() || Date.now() > deadline) throw new Error(`${child.name} (pid ${child.pid}) never printed "ready":\n${child.log()}`);
    await Bun.sleep(20);
  }
}
