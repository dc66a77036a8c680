/**
 * An L4 `udp` listener: one flow per client address:port, each with its own connected upstream
 * socket (so replies reach the client that sent the flow), a backend fixed for the flow's life
 * (a pool change moves only new flows), idle expiry, and a flow cap. The flow table is a Map kept
 * in activity order: a flow moves to the end at most once per sweeper tick, so expiry scans from
 * the front and stops at the first live flow.
 *
 * A full table: a new client evicts the least recently active flow only if that flow is idle (no
 * datagram either way for `minIdleMs`). If it is not, the table is full of live flows (a flood of
 * new, possibly spoofed, client addresses) and the new client gets no flow and no socket: its
 * datagram goes statelessly to the backend `choose` picks for its 5-tuple (for a hashing pool, a
 * hash of the client address: one client keeps one backend while the pool is unchanged), through
 * one shared socket per backend (udp-stateless.ts). Replies on a shared socket cannot be given to
 * a client (no state is kept, by design): they are dropped and counted. That is the trade:
 * established flows are protected and the backend still receives every datagram, instead of the
 * listener failing; a client forwarded statelessly gets a real flow as soon as an idle slot frees
 * up, since each of its datagrams tries the table again.
 */
import dgram from "node:dgram";
import { LbError } from "../errors.ts";
import { PROTO_UDP } from "../wasm/index.ts";
import { ConnInfo } from "./conn-info.ts";
import { parseIpv4 } from "../net/index.ts";
import { callAdmit, callHook } from "./relay-context.ts";
import type { UpstreamAddress } from "./relay-options.ts";
import { UdpFlow } from "./udp-flow.ts";
import { withUdpDefaults, type UdpFlowEnd, type UdpRelayOptions, type UdpRelayStats } from "./udp-options.ts";
import { UdpStatelessForwarder } from "./udp-stateless.ts";

const RECV_BUFFER = 4 * 1024 * 1024;

/** A running UDP listener. */
export interface UdpRelay<B extends UpstreamAddress> {
  readonly hostname: string;
  readonly port: number;
  readonly stats: Readonly<UdpRelayStats>;
  /**
   * Closes the flows whose backend matches (removed or failed backends) and returns how many; also
   * closes the matching backends' shared stateless sockets (`flow` is undefined for those).
   */
  closeFlows(match: (backend: B, flow: ConnInfo | undefined) => boolean): number;
  /** Closes every flow, the shared sockets and the listening socket. */
  stop(): void;
}

/** Sweeper period: a quarter of the idle timeout (and of minIdleMs, which orders eviction), 10 ms to 1 s. */
function tickOf(idleTimeoutMs: number, minIdleMs: number): number {
  const quarter = Math.floor(Math.min(idleTimeoutMs, minIdleMs > 0 ? minIdleMs : idleTimeoutMs) / 4);
  return Math.min(1000, Math.max(10, quarter));
}

/** Binds and starts a UDP listener; rejects with LbError INVALID_ARGUMENT when it cannot bind. */
export async function startUdpRelay<B extends UpstreamAddress>(options: UdpRelayOptions<B>): Promise<UdpRelay<B>> {
  const opts = withUdpDefaults(options);
  const stats: UdpRelayStats = {
    flows: 0, created: 0, expired: 0, evicted: 0, datagramsIn: 0, datagramsOut: 0, dropped: 0, stateless: 0, statelessRepliesDropped: 0, refused: 0,
  };
  const flows = new Map<string, UdpFlow<B>>();
  const stateless = new UdpStatelessForwarder<B>(opts.maxQueuedDatagrams, () => void stats.statelessRepliesDropped++);
  const tickMs = tickOf(opts.idleTimeoutMs, opts.minIdleMs);
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
    f.lastMs = performance.now();
    if (f.lastTick === tick || f.closed) return;
    flows.delete(f.key);
    flows.set(f.key, f);
    f.lastTick = tick;
  };
  const onError = (f: UdpFlow<B>): void => end(f, "error");
  const reply = (msg: Uint8Array, port: number, ip: string): void => {
    stats.datagramsOut++;
    sock.send(msg, port, ip);
  };

  /** True when a new flow can have a slot: the table has room, or its least recently active flow is idle. */
  const hasRoom = (nowMs: number): boolean => {
    if (flows.size < opts.maxFlows) return true;
    const oldest = flows.values().next().value;
    return !oldest || nowMs - oldest.lastMs >= opts.minIdleMs;
  };
  /** Makes room in a full table (hasRoom said there is): evicts the least recently active flow. */
  const evictIdle = (): void => {
    const oldest = flows.values().next().value;
    if (!oldest || flows.size < opts.maxFlows) return;
    stats.evicted++;
    end(oldest, "evicted");
  };

  const choose = (info: ConnInfo): B | undefined => {
    try {
      return opts.choose(info, 0);
    } catch {
      return undefined; // a chooser that throws has no backend to give
    }
  };
  const noFlow = (info: ConnInfo, backend: B | undefined): void => {
    const hook = opts.hooks?.onNoFlow;
    if (!hook) return;
    try {
      hook(info, backend); // inline, not callHook: no closure per datagram on the flood path
    } catch {
      // a hook that throws must not break the data plane
    }
  };

  /** A datagram from a client the full table has no room for: forwarded without a flow. */
  const forwardStateless = (msg: Uint8Array, info: ConnInfo, nowMs: number): void => {
    info.bytesIn = msg.length;
    const backend = choose(info);
    if (backend && stateless.send(backend, msg, nowMs)) stats.stateless++;
    else stats.dropped++;
    noFlow(info, backend);
  };

  const open = (key: string, info: ConnInfo, nowMs: number): UdpFlow<B> | undefined => {
    const backend = choose(info);
    if (!backend) {
      noFlow(info, undefined);
      return undefined;
    }
    const f: UdpFlow<B> = new UdpFlow(key, info, backend, tick, nowMs, opts.maxQueuedDatagrams, reply, onError, touch);
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
    else {
      const nowMs = performance.now();
      const room = hasRoom(nowMs);
      const info = new ConnInfo(room ? nextId++ : 0, rinfo.address, rinfo.port, local.address, local.port, PROTO_UDP);
      if (opts.admit !== undefined && callAdmit(opts.admit, info, room) !== undefined) return void stats.refused++;
      if (!room) return forwardStateless(msg, info, nowMs);
      evictIdle();
      f = open(key, info, nowMs);
    }
    if (!f || !f.send(msg)) stats.dropped++;
  });

  const sweeper = setInterval(() => {
    tick++;
    for (const f of flows.values()) {
      if (tick - f.lastTick < idleTicks) break; // activity order: the rest are younger
      stats.expired++;
      end(f, "idle");
    }
    stateless.sweep(performance.now(), opts.idleTimeoutMs);
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
      stateless.closeMatching((b) => match(b, undefined));
      return n;
    },
    stop() {
      clearInterval(sweeper);
      for (const f of [...flows.values()]) end(f, "stopped");
      stateless.closeAll();
      sock.close();
    },
  };
}
