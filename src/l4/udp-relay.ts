/**
 * An L4 `udp` listener: one flow per client address:port, each with its own connected upstream
 * socket (so replies reach the client that sent the flow), a backend fixed for the flow's life
 * (a pool change moves only new flows), idle expiry, and a flow cap that evicts the least
 * recently active flow. The flow table is a Map kept in activity order: a flow moves to the end
 * at most once per sweeper tick, so expiry scans from the front and stops at the first live flow.
 */
import dgram from "node:dgram";
import { LbError } from "../errors.ts";
import { PROTO_UDP } from "../wasm/index.ts";
import { ConnInfo } from "./conn-info.ts";
import { parseIpv4 } from "./ip.ts";
import { callHook } from "./relay-context.ts";
import type { UpstreamAddress } from "./relay-options.ts";
import { UdpFlow } from "./udp-flow.ts";
import { UDP_DEFAULTS, type UdpFlowEnd, type UdpRelayOptions, type UdpRelayStats } from "./udp-options.ts";

const RECV_BUFFER = 4 * 1024 * 1024;

/** A running UDP listener. */
export interface UdpRelay<B extends UpstreamAddress> {
  readonly hostname: string;
  readonly port: number;
  readonly stats: Readonly<UdpRelayStats>;
  /** Closes the flows whose backend matches (removed or failed backends); returns how many. */
  closeFlows(match: (backend: B, flow: ConnInfo) => boolean): number;
  /** Closes every flow and the listening socket. */
  stop(): void;
}

/** Binds and starts a UDP listener; rejects with LbError INVALID_ARGUMENT when it cannot bind. */
export async function startUdpRelay<B extends UpstreamAddress>(options: UdpRelayOptions<B>): Promise<UdpRelay<B>> {
  const opts = { ...UDP_DEFAULTS, ...options };
  const stats: UdpRelayStats = { flows: 0, created: 0, expired: 0, evicted: 0, datagramsIn: 0, datagramsOut: 0, dropped: 0 };
  const flows = new Map<string, UdpFlow<B>>();
  const tickMs = Math.min(1000, Math.max(10, Math.floor(opts.idleTimeoutMs / 4)));
  const idleTicks = Math.ceil(opts.idleTimeoutMs / tickMs);
  let tick = 0;
  let nextId = 1;
  const sock = dgram.createSocket({ type: parseIpv4(opts.hostname) ? "udp4" : "udp6", reusePort: opts.reusePort === true });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", (e) => reject(new LbError("INVALID_ARGUMENT", `cannot bind udp ${opts.hostname}:${opts.port}`, { cause: e })));
    sock.bind(opts.port, opts.hostname, () => resolve());
  });
  sock.on("error", () => {}); // per-datagram send errors (ICMP unreachable) must not kill the listener
  try {
    // A burst of new flows lands in this one socket's buffer; the default (~200 KB) drops early.
    sock.setRecvBufferSize(RECV_BUFFER);
  } catch {
    // best effort: the kernel may cap it (net.core.rmem_max)
  }
  const local = sock.address();

  const end = (f: UdpFlow<B>, why: UdpFlowEnd): void => {
    if (f.closed) return;
    f.close();
    flows.delete(f.key);
    stats.flows--;
    callHook(() => opts.hooks?.onFlowClose?.(f.info, f.backend, why));
  };
  const touch = (f: UdpFlow<B>): void => {
    if (f.lastTick === tick || f.closed) return;
    flows.delete(f.key);
    flows.set(f.key, f);
    f.lastTick = tick;
  };
  const reply = (msg: Uint8Array, port: number, ip: string): void => {
    stats.datagramsOut++;
    sock.send(msg, port, ip);
  };

  const open = (key: string, ip: string, port: number): UdpFlow<B> | undefined => {
    if (flows.size >= opts.maxFlows) {
      const oldest = flows.values().next().value;
      if (oldest) {
        stats.evicted++;
        end(oldest, "evicted");
      }
    }
    const info = new ConnInfo(nextId++, ip, port, local.address, local.port, PROTO_UDP);
    let backend: B | undefined;
    try {
      backend = opts.choose(info, 0);
    } catch {
      backend = undefined; // a chooser that throws has no backend to give
    }
    if (!backend) return undefined;
    const f: UdpFlow<B> = new UdpFlow(key, info, backend, tick, opts.maxQueuedDatagrams, reply, (x) => end(x, "error"), () => touch(f));
    flows.set(key, f);
    stats.created++;
    stats.flows++;
    callHook(() => opts.hooks?.onFlowOpen?.(info, backend));
    return f;
  };

  sock.on("message", (msg, rinfo) => {
    stats.datagramsIn++;
    const key = `${rinfo.address}|${rinfo.port}`;
    let f = flows.get(key);
    if (f) touch(f);
    else f = open(key, rinfo.address, rinfo.port);
    if (!f || !f.send(msg)) stats.dropped++;
  });

  const sweeper = setInterval(() => {
    tick++;
    for (const f of flows.values()) {
      if (tick - f.lastTick < idleTicks) break; // activity order: the rest are younger
      stats.expired++;
      end(f, "idle");
    }
  }, tickMs);

  return {
    hostname: local.address,
    port: local.port,
    stats,
    closeFlows(match) {
      let n = 0;
      for (const f of [...flows.values()]) {
        if (!match(f.backend, f.info)) continue;
        end(f, "backend_gone");
        n++;
      }
      return n;
    },
    stop() {
      clearInterval(sweeper);
      for (const f of [...flows.values()]) end(f, "stopped");
      sock.close();
    },
  };
}
