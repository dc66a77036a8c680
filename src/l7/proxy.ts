/**
 * The L7 listener: Fulcrum's HTTP/1.1 and HTTP/2 engine over Bun.listen (plain TCP, or TLS when
 * `tls` is given; h2 by ALPN, h2c by prior knowledge) with upstream pools over Bun.connect. Routing, balancing and retries plug in
 * through ProxyHooks; nothing here knows about the config or the selectors.
 */
import type { Socket, SocketHandler, TCPSocketListenOptions, TLSOptions } from "bun";
import { DEFAULT_LIMITS, type HttpLimits } from "../http/index.ts";
import { H2Counters, type H2Options } from "../h2/index.ts";
import type { ProxyHooks } from "./hooks.ts";
import type { ProxyAcceptOptions } from "../net/index.ts";
import { DEFAULT_TIMEOUTS, ServerCore, type ProxyTimeouts } from "./server-core.ts";
import { Session } from "./session.ts";
import { Wait } from "./deadline.ts";
import type { ClientConn } from "./client-conn.ts";
import { UpstreamPool, type PoolOptions } from "./upstream-pool.ts";

export interface ProxyOptions<U = unknown> {
  /** Bind address (default 127.0.0.1) and port (default 0: any free port). */
  hostname?: string;
  port?: number;
  hooks: ProxyHooks<U>;
  /** Terminate TLS with these options (X-Forwarded-Proto becomes https). */
  tls?: TLSOptions;
  /**
   * With `tls`: picks the TLS context for a ClientHello's server name (a native context, as
   * `tls.createSecureContext(...).context`); undefined keeps `tls`'s own. Not called without SNI.
   */
  sni?: (serverName: string) => unknown;
  /** Share the port with other worker processes. */
  reusePort?: boolean;
  /**
   * Accept on this already listening socket (handed over by another listener or process) instead
   * of binding `hostname`:`port`, which then only name it.
   */
  fd?: number;
  limits?: Partial<HttpLimits>;
  timeouts?: Partial<ProxyTimeouts>;
  /** Request bodies above this get 413 BODY_TOO_LARGE (default: unlimited). */
  maxBodyBytes?: number;
  /** Require a PROXY v1/v2 header from every client, accepted from trusted peers only. */
  acceptProxy?: ProxyAcceptOptions;
  /** With `tls`: called for each connection closed because its handshake outlived timeouts.handshakeMs. */
  onHandshakeTimeout?: () => void;
  /**
   * Plain listeners: a connection that opens with HTTP/2's preface is served as h2c (prior
   * knowledge; default true); "only": every connection is HTTP/2, anything else is answered with
   * GOAWAY (PROTOCOL_ERROR). TLS listeners speak HTTP/2 when ALPN (in `tls`) picks h2.
   */
  h2c?: boolean | "only";
  /** HTTP/2 settings and protections; `counters` is where its connections count (shared). */
  h2?: Partial<H2Options>;
  /**
   * With `tls`: called as each handshake ends (not one cut off by the timeout), with whether the
   * client's certificate verified and OpenSSL's reason when not (for listeners that ask for one).
   */
  onHandshake?: (authorized: boolean, error: Error | null) => void;
  /**
   * Most client connections open at once (default: no cap); one more is closed at accept without a
   * byte, as a tcp listener's are, and reported through `onRefused`.
   */
  maxConnections?: number;
  onRefused?: () => void;
  /** A pool shared between listeners; by default each listener owns one (closed on stop). */
  pool?: UpstreamPool;
  poolOptions?: Partial<PoolOptions>;
}

/** A running listener. */
export interface ProxyServer {
  readonly hostname: string;
  readonly port: number;
  /** The listening socket's descriptor (a successor may take it over). */
  readonly fd: number;
  readonly pool: UpstreamPool;
  /** Client connections currently open. */
  connections(): number;
  /** Connections the deadline sweep has looked at so far (what the sweep costs: proportional to what expires). */
  sweepVisits(): number;
  /**
   * Stops accepting. Without `force`, open client connections live on (keep-alive, timeouts still
   * enforced) and the listener's own pool closes after the last one; `force` closes them now.
   */
  stop(force?: boolean): void;
  /** Stops accepting only: open connections carry on untouched (keep-alive too) until `stop`. */
  stopAccepting(): void;
}

/** Starts a listener; resolves nothing asynchronously: the port is bound on return. */
export function startProxy<U>(opts: ProxyOptions<U>): ProxyServer {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const ownPool = opts.pool === undefined;
  const pool = opts.pool ?? new UpstreamPool({ limits, ...opts.poolOptions });
  const core = new ServerCore(
    opts.hooks, pool, opts.tls ? "https" : "http", limits, { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
    opts.maxBodyBytes ?? Number.POSITIVE_INFINITY,
  );
  core.acceptProxy = opts.acceptProxy;
  core.h2c = opts.h2c ?? true;
  // WebSocket over HTTP/2 (RFC 8441) is offered: its streams go to backends as HTTP/1.1 upgrades
  core.h2 = { enableConnectProtocol: true, ...opts.h2, counters: opts.h2?.counters ?? new H2Counters() };
  core.onHandshakeTimeout = opts.onHandshakeTimeout;
  const maxConnections = opts.maxConnections ?? Number.POSITIVE_INFINITY;
  const onRefused = opts.onRefused;
  // Refused sockets keep `data` undefined, hence the optional chains below.
  const handlers: SocketHandler<ClientConn | undefined> = {
    open(s) {
      if (core.sessions.size >= maxConnections) {
        onRefused?.();
        s.end();
        return;
      }
      const session = new Session(core, s as Socket<ClientConn>);
      s.data = session;
      core.add(session);
    },
    data: (s, d) => s.data?.onData(d as Buffer),
    drain: (s) => s.data?.onDrain(),
    end: (s) => s.data?.onClientEnd(),
    close(s) {
      if (s.data === undefined) return;
      core.remove(s.data);
      s.data.onSocketClosed();
    },
    error(s) {
      s.data?.socket.end();
    },
  };
  // Bun's socket handlers take an SNI hook, `serverName(listenerData, name, socket)` returning a
  // native context (node:tls's SNICallback is built on it, Bun 1.4.4); bun-types omit it.
  const sni = opts.sni;
  if (sni) Object.assign(handlers, { serverName: (_data: unknown, name: string) => sni(name) });
  // Bun calls a TLS server socket's `open` at accept only when a `handshake` handler exists, else
  // after the handshake (measured on Bun 1.4.4): without one, a client that never finishes its
  // handshake is invisible here and no deadline could close it.
  const hs = opts.onHandshake;
  if (opts.tls) {
    // the handshake ends while the socket is still the Session's (an H2Session is made by
    // handshakeDone); a connection refused at max_connections has no data
    handlers.handshake = hs === undefined ? (s) => s.data?.handshakeDone() : (s, _ok, err) => {
      const d = s.data as Session | undefined;
      if (d === undefined) return;
      if (d.wait === Wait.Handshake) hs(s.authorized, err);
      d.handshakeDone();
    };
  }
  const listener = Bun.listen<ClientConn | undefined>({
    ...(opts.fd !== undefined ? { fd: opts.fd } : { hostname: opts.hostname ?? "127.0.0.1", port: opts.port ?? 0 }),
    socket: handlers,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.reusePort ? { reusePort: true } : {}),
  } as TCPSocketListenOptions<ClientConn | undefined>);
  return {
    // An adopted descriptor's listener reads hostname and port as undefined: the caller named them.
    hostname: listener.hostname ?? opts.hostname ?? "127.0.0.1",
    port: listener.port ?? opts.port ?? 0,
    get fd() {
      return (listener as unknown as { fd: number }).fd;
    },
    pool,
    connections: () => core.sessions.size,
    sweepVisits: () => core.wheel.visits,
    stopAccepting: () => listener.stop(false),
    stop(force = false) {
      listener.stop(force);
      const closePool = () => ownPool && pool.close();
      if (!force) return core.stop(closePool); // drain: sessions finish, timeouts still apply
      for (const s of core.sessions) s.socket.end();
      core.stop();
      closePool();
    },
  };
}
