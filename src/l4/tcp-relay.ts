/**
 * An L4 listener: `tcp` (relay bytes to a chosen backend) and `tls_passthrough` (the same, after
 * reading the ClientHello to route by SNI). Per connection: optional PROXY header in, preamble,
 * choose(conn, attempt), connect with retries on connect failure, relay with backpressure and
 * half-close, idle timeout. One sweeper timer per listener owns every time limit: each tick it
 * walks the connections with a deadline near (few), and a slice of the relaying ones for the idle
 * timeout, sized so every connection is checked at least every quarter of that timeout. A tick
 * therefore stays short with 100,000 connections open (a full walk costs ~60 ns a connection,
 * 6 ms at 100,000: a stall for every request that arrives meanwhile).
 */
import type { Socket, SocketHandler, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { LbError } from "../errors.ts";
import { ConnInfo } from "./conn-info.ts";
import type { TcpRelayOptions, TcpRelayStats, UpstreamAddress } from "./relay-options.ts";
import { withRelayDefaults, type ResolvedRelayOptions } from "./relay-options.ts";
import { callHook, type RelayContext, type UpstreamTag } from "./relay-context.ts";
import { TcpConn } from "./tcp-conn.ts";
import { formatIp, isV4Mapped, parseIp } from "../net/index.ts";

/** A running listener. */
export interface TcpRelay {
  readonly hostname: string;
  readonly port: number;
  /** The listening socket's descriptor (a successor may take it over). */
  readonly fd: number;
  /** Live counters (the same object, updated in place). */
  readonly stats: Readonly<TcpRelayStats>;
  /**
   * Stops accepting. With `closeActive` every open connection is closed at once; otherwise they
   * finish on their own (draining) and are reset if still open after `graceMs` (default never).
   */
  stop(closeActive?: boolean, graceMs?: number): void;
  /** Closes the relayed connections whose backend matches (a disabled or removed backend); returns how many. */
  closeConnections(match: (backend: UpstreamAddress) => boolean): number;
}

function upstreamHandlers<B extends UpstreamAddress>(): SocketHandler<UpstreamTag<B>> {
  return {
    open: (s) => s.data.conn.onUpstreamOpen(s, s.data.attempt),
    data: (s, d) => s.data.conn.onUpstreamData(d),
    drain: (s) => s.data.conn.onUpstreamDrain(),
    end: (s) => s.data.conn.onUpstreamEnd(),
    close: (s, err?: Error) => s.data.conn.onUpstreamClose(s, err),
    connectError: (s, e) => s.data.conn.onConnectError(s.data.attempt, e),
    error: () => {}, // a close event follows every error
  };
}

/** The sweeper's period: a quarter of the shortest limit it enforces, 10 ms to 1 s. */
export function sweepTickMs(o: ResolvedRelayOptions<UpstreamAddress>): number {
  const limits = [o.preambleTimeoutMs, o.connectTimeoutMs, 2000];
  if (o.idleTimeoutMs > 0) limits.push(o.idleTimeoutMs);
  return Math.min(1000, Math.max(10, Math.floor(Math.min(...limits) / 4)));
}

/**
 * The local address of every connection a listener bound to `hostname` accepts, when the bind
 * fixes it (a specific IP, not a wildcard or a name), else undefined. Reading it from each socket
 * instead costs a getsockname per getter, about 3.5 µs a connection here.
 */
export function boundLocalIp(hostname: string): string | undefined {
  const ip = parseIp(hostname);
  if (ip === undefined) return undefined;
  const wildcard = (isV4Mapped(ip) ? ip.subarray(12) : ip).every((b) => b === 0); // 0.0.0.0 or ::
  return wildcard ? undefined : formatIp(ip);
}

/** Fewest relaying connections an idle sweep visits per tick (a small listener is walked whole). */
export const IDLE_SLICE_MIN = 256;

/**
 * Checks the idle timeout of relaying connections a slice per tick, resuming where the last tick
 * stopped (a Set iterator sees entries added later and skips those deleted), so that a whole pass
 * takes at most a quarter of the idle timeout.
 */
function idleSweeper<B extends UpstreamAddress>(conns: Set<TcpConn<B>>, idleMs: number, tickMs: number): (now: number) => void {
  const ticksPerPass = Math.max(1, Math.floor(idleMs / 4 / tickMs));
  let cursor: Iterator<TcpConn<B>> | undefined;
  return (now) => {
    if (idleMs <= 0) return;
    for (let budget = Math.max(IDLE_SLICE_MIN, Math.ceil(conns.size / ticksPerPass)); budget > 0; budget--) {
      cursor ??= conns.values();
      const next = cursor.next();
      if (next.done) {
        cursor = undefined;
        return;
      }
      if (next.value.state === "relaying") next.value.tick(now);
    }
  };
}

/**
 * Binds and starts a listener; throws LbError INVALID_ARGUMENT when the address cannot be bound.
 * The relay never reads config itself: `opts.choose` and `opts.hooks` are how the caller wires
 * selectors and connection tracking.
 */
export function startTcpRelay<B extends UpstreamAddress>(options: TcpRelayOptions<B>): TcpRelay {
  const opts = withRelayDefaults(options);
  const stats: TcpRelayStats = { accepted: 0, active: 0, relayed: 0, refused: 0, rejected: 0, connectFailures: 0, upstreamResets: 0, bytesIn: 0, bytesOut: 0 };
  const clock = { now: Date.now() };
  const conns = new Set<TcpConn<B>>();
  const timed = new Set<TcpConn<B>>();
  const ctx: RelayContext<B> = { opts, stats, clock, conns, timed, upstreamHandlers: upstreamHandlers<B>() };
  let nextId = 1;
  // Every accepted socket's local address when the bind fixes it: set once bound, before any connection opens.
  let localIp: string | undefined;
  let localPort = 0;

  const handlers: SocketHandler<TcpConn<B> | undefined> = {
    open(s) {
      if (stats.active >= opts.maxConnections) {
        stats.refused++;
        callHook(() => opts.hooks?.onReject?.(undefined, "max_connections"));
        s.end();
        return;
      }
      stats.accepted++;
      stats.active++;
      const info = localIp !== undefined
        ? new ConnInfo(nextId++, s.remoteAddress, s.remotePort, localIp, localPort)
        : new ConnInfo(nextId++, s.remoteAddress, s.remotePort, s.localAddress, s.localPort);
      const conn = new TcpConn<B>(ctx, s as Socket<TcpConn<B>>, info);
      s.data = conn;
      conns.add(conn);
      callHook(() => opts.hooks?.onAccept?.(info));
      conn.start();
    },
    data: (s, d) => s.data?.onClientData(d),
    drain: (s) => s.data?.onClientDrain(),
    end: (s) => void (s.data ? s.data.onClientEnd() : s.end()),
    close: (s) => s.data?.onClientClose(),
    error: () => {}, // a close event follows every error
  };

  let listener: TCPSocketListener<TcpConn<B> | undefined>;
  const listenOpts = {
    ...(opts.fd !== undefined ? { fd: opts.fd } : { hostname: opts.hostname, port: opts.port }),
    allowHalfOpen: true,
    socket: handlers,
  } as TCPSocketListenOptions<TcpConn<B> | undefined>;
  // reusePort works on Bun.listen but is missing from its types (BUN-NOTES "Sockets").
  if (opts.reusePort) Object.assign(listenOpts, { reusePort: true });
  try {
    // A listener adopted from a descriptor (untyped in bun-types) reads its port as undefined.
    listener = Bun.listen(listenOpts);
  } catch (e) {
    throw new LbError("INVALID_ARGUMENT", `cannot listen on ${opts.hostname}:${opts.port}`, { cause: e });
  }

  // Known from the bind unless the socket was adopted (its address is not ours to assume).
  if (opts.fd === undefined && listener.port !== undefined) {
    localIp = boundLocalIp(opts.hostname);
    localPort = listener.port;
  }

  let stopDeadline = 0;
  const tickMs = sweepTickMs(opts);
  const sweepIdle = idleSweeper(conns, opts.idleTimeoutMs, tickMs);
  const sweeper = setInterval(() => {
    const now = (clock.now = Date.now());
    if (stopDeadline > 0 && now >= stopDeadline) {
      stopDeadline = 0;
      for (const c of conns) c.close();
    }
    for (const c of timed) c.tick(now);
    sweepIdle(now);
  }, tickMs);

  return {
    hostname: listener.hostname ?? opts.hostname,
    port: listener.port ?? opts.port,
    get fd() {
      return (listener as unknown as { fd: number }).fd;
    },
    stats,
    closeConnections(match) {
      let n = 0;
      for (const c of [...conns]) {
        if (c.opened && c.backend !== undefined && match(c.backend)) {
          c.close();
          n++;
        }
      }
      return n;
    },
    stop(closeActive = false, graceMs = 0) {
      listener.stop(false);
      if (closeActive) for (const c of conns) c.close();
      else if (graceMs > 0) stopDeadline = Date.now() + graceMs;
      // The sweeper keeps running until the last connection is gone, then stops itself.
      const reap = setInterval(() => {
        if (conns.size > 0) return;
        clearInterval(sweeper);
        clearInterval(reap);
      }, 50);
    },
  };
}
