/**
 * Runs one tcp, tls_passthrough or udp listener of the snapshot: binds it through src/l4, and
 * answers its chooser from the config (pool, SNI rules) and the pool runtimes (selector, live
 * load, circuit breaker). Every live connection or flow is recorded in the WASM connection-tracking
 * table, which is what /v1/status reads for per-backend L4 connection counts.
 */
import { newPickContext, type PickContext } from "../../balance/index.ts";
import type { SnapshotHolder, SnapshotListener, SnapshotPool } from "../../config/index.ts";
import { RELAY_DEFAULTS, startTcpRelay, startUdpRelay, type ConnInfo, type RejectReason, type UdpRelayStats } from "../../l4/index.ts";
import { ConnTrack, hashTuple } from "../../wasm/index.ts";
import { backendId } from "../pools/backend-ids.ts";
import { listenerOf } from "./listener-lookup.ts";
import { admitClient } from "./admission.ts";
import type { ClientHold, ClientLimits } from "./client-limits.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import { beginWork, endWork, poolLoad, ticketOf, type PoolRuntime } from "../pools/pool-runtime.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";

/** What the chooser hands the relay: an address plus where to account for it. */
interface Chosen {
  host: string;
  port: number;
  rt: PoolRuntime;
  index: number;
  id: number;
}

/** Per-connection state pinned in ConnInfo.slot at accept. */
interface ConnState {
  listener: SnapshotListener;
  pool: SnapshotPool | undefined;
  rt: PoolRuntime | undefined;
  ctx: PickContext | undefined;
  breakerHeld: boolean;
  /** Its place in max_connections_per_client's count (given back when it ends). */
  client: ClientHold | undefined;
}

/** A bound L4 listener. */
export interface L4Listener {
  readonly protocol: SnapshotListener["protocol"];
  readonly port: number;
  /** tcp and tls_passthrough: the listening socket's descriptor. */
  readonly fd?: number;
  readonly conntrack: ConnTrack;
  /** udp only: the relay's live counters (flows, evictions, stateless forwarding). */
  readonly udp?: Readonly<UdpRelayStats>;
  active(): number;
  /** Closes live connections or flows whose backend `keep` rejects (disabled or removed: "out now"). */
  evict(keep: (pool: string, address: string) => boolean): number;
  stop(graceMs: number): Promise<void>;
}

/** tls_passthrough: the pool of the most specific sni rule for the ClientHello's name, else the listener's. */
function poolFor(l: SnapshotListener, conn: ConnInfo): SnapshotPool | undefined {
  if (!l.sniTable || conn.sni === undefined || conn.sni === "") return l.pool;
  return l.sniTable.lookup(conn.sni) ?? l.pool;
}

/** Monotonic milliseconds for the conntrack table (u32; wraps after 49 days, the table compares modulo). */
const nowMs = (): number => Math.floor(performance.now()) >>> 0;

/** Starts the listener `name` of the holder's current snapshot, on `port` when given (a rebind keeps a port-0 listener's port). */
export async function startL4Listener(
  name: string, holder: SnapshotHolder, pools: PoolRegistry, counters: ListenerCounters, limits: ClientLimits, port?: number, fd?: number,
): Promise<L4Listener> {
  const initial = listenerOf(holder.current(), name)!;
  const capacity = Math.max(1024, initial.udp?.maxFlows ?? initial.maxConnections ?? 65_536);
  // ~6% headroom: past 96% load the table starts evicting, which would undercount live flows.
  // A random seed per process keeps clients from aiming their tuples at one bucket.
  const conntrack = new ConnTrack(Math.ceil(capacity * 1.06), { seed: crypto.getRandomValues(new Uint32Array(1))[0]! });
  const listenerNow = (): SnapshotListener => listenerOf(holder.current(), name) ?? initial;

  const stateOf = (conn: ConnInfo): ConnState => {
    let s = conn.slot as ConnState | undefined;
    if (!s) {
      s = { listener: listenerNow(), pool: undefined, rt: undefined, ctx: undefined, breakerHeld: false, client: undefined };
      conn.slot = s;
    }
    return s;
  };
  // The clients this listener can hold at once: its connection (or flow) cap.
  const clients = initial.udp?.maxFlows ?? initial.maxConnections ?? RELAY_DEFAULTS.maxConnections;
  const admit = (conn: ConnInfo, opensFlow = true): RejectReason | undefined => {
    const s = stateOf(conn);
    const why = admitClient(s.listener, conn.clientIp, opensFlow, clients, limits, counters);
    if (typeof why === "object") s.client = why;
    return typeof why === "string" ? why : undefined;
  };

  const choose = (conn: ConnInfo, attempt: number): Chosen | undefined => {
    const s = stateOf(conn);
    if (attempt === 0) {
      s.pool = poolFor(s.listener, conn);
      s.rt = s.pool ? pools.current(s.pool.name) : undefined;
      if (!s.rt) return undefined;
      if (!s.rt.breaker.tryAcquire("connections")) return undefined;
      s.breakerHeld = true;
      const hashOn = s.rt.config.hashOn?.kind;
      const hash = hashOn === "five_tuple" ? hashTuple(conn.clientIp, conn.clientPort, conn.destIp, conn.destPort, conn.proto) : undefined;
      s.ctx = newPickContext(hashOn === undefined || hashOn === "five_tuple" ? undefined : conn.clientIp, s.rt.load, hash, s.rt.loadSlots);
      s.ctx.loadTotal = poolLoad(s.rt);
      s.ctx.ticket = ticketOf(s.rt);
    }
    const rt = s.rt!;
    const i = rt.selector.pick(s.ctx!, attempt);
    if (i < 0) return undefined;
    const b = rt.backends[i]!;
    return { host: b.host, port: b.port, rt, index: i, id: backendId(rt.name, b.address) };
  };

  const release = (conn: ConnInfo | undefined): void => {
    const s = conn?.slot as ConnState | undefined;
    if (s?.breakerHeld) {
      s.breakerHeld = false;
      s.rt?.breaker.release("connections");
    }
  };
  // Once the connection (or flow, or a datagram that got none) is over, whatever it held goes back.
  const end = (conn: ConnInfo): void => {
    release(conn);
    (conn.slot as ConnState | undefined)?.client?.release();
  };
  const open = (conn: ConnInfo, b: Chosen): void => {
    counters.relayed++;
    beginWork(b.rt, b.index);
    conntrack.insert(conn.tuple(), b.id, nowMs());
  };
  const close = (conn: ConnInfo, b: Chosen): void => {
    endWork(b.rt, b.index, pools.current(b.rt.name));
    b.rt.stats[b.index]!.bytesIn += conn.bytesIn;
    b.rt.stats[b.index]!.bytesOut += conn.bytesOut;
    conntrack.remove(conn.tuple());
    end(conn);
  };

  // udp: a datagram that got no flow (forwarded statelessly, or dropped) holds nothing past its send.
  const noFlow = (conn: ConnInfo, b: Chosen | undefined): void => {
    if (b) b.rt.stats[b.index]!.bytesIn += conn.bytesIn;
    end(conn);
  };

  if (initial.protocol === "udp") {
    const relay = await startUdpRelay<Chosen>({
      hostname: initial.host,
      port: port ?? initial.port,
      choose,
      admit,
      idleTimeoutMs: initial.idleTimeoutMs,
      maxFlows: initial.udp?.maxFlows ?? capacity,
      minIdleMs: initial.udp?.minIdleMs,
      reusePort: true, // a rebound successor shares the port during the handover (listener-set.ts)
      hooks: { onFlowOpen: open, onFlowClose: close, onNoFlow: noFlow },
    });
    return {
      protocol: "udp",
      port: relay.port,
      conntrack,
      udp: relay.stats,
      active: () => relay.stats.flows,
      evict: (keep) => relay.closeFlows((b) => !keep(b.rt.name, b.rt.backends[b.index]!.address)),
      async stop() {
        relay.stop();
      },
    };
  }

  const accept = initial.proxyProtocol.acceptFrom;
  const relay = startTcpRelay<Chosen>({
    hostname: initial.host,
    port: port ?? initial.port,
    ...(fd !== undefined ? { fd } : {}),
    choose,
    admit,
    connectTimeoutMs: initial.pool?.connectTimeoutMs,
    idleTimeoutMs: initial.idleTimeoutMs,
    maxConnections: initial.maxConnections,
    sendProxy: initial.proxyProtocol.send,
    acceptProxy: accept.size > 0 ? { trusted: accept } : undefined,
    tlsPassthrough: initial.protocol === "tls_passthrough",
    preambleTimeoutMs: initial.handshakeTimeoutMs,
    reusePort: true, // a rebound successor shares the port during the handover (listener-set.ts)
    hooks: {
      onOpen: open,
      onClose: close,
      onConnectFailure: (_conn, b) => pools.report(b.rt, b.index, "gateway_failure"),
      onUpstreamReset: () => void counters.upstreamResets++,
      onReject: (conn, reason) => {
        if (reason === "preamble_timeout") counters.handshakeTimeouts++;
        else if (reason === "max_connections") counters.refusedConnections++;
        release(conn);
      },
      onEnd: end,
    },
  });
  return {
    protocol: initial.protocol,
    port: relay.port,
    get fd() {
      return relay.fd;
    },
    conntrack,
    active: () => relay.stats.active,
    evict: (keep) =>
      relay.closeConnections((u) => {
        const b = u as Chosen;
        return !keep(b.rt.name, b.rt.backends[b.index]!.address);
      }),
    async stop(graceMs: number) {
      // Graceful: stop accepting; open connections get `graceMs` to finish, then are closed.
      relay.stop(graceMs <= 0, graceMs);
    },
  };
}
