/**
 * Options, hooks and counters of an L4 TCP listener (see tcp-relay.ts). Everything a config
 * snapshot decides comes in through here; the relay itself knows no pools or selectors.
 */
import type { CidrList } from "../net/index.ts";
import type { ConnInfo } from "./conn-info.ts";

/** Where to connect; the chooser may return any object with these (a Backend, say). */
export interface UpstreamAddress {
  host: string;
  port: number;
}

/** Why a connection ended without (or before) being relayed, for counting and logs. */
export type RejectReason =
  | "max_connections" | "untrusted_peer" | "bad_proxy_header" | "not_tls" | "bad_client_hello"
  | "preamble_timeout" | "preamble_eof" | "no_backend" | "connect_failed" | "stopped"
  | "access_denied" | "client_limit";

/** Lifecycle hooks; all optional, all synchronous, none may throw (errors are swallowed). */
export interface TcpRelayHooks<B extends UpstreamAddress> {
  /** A client connection was accepted (before any preamble); pin per-connection state in `conn.slot`. */
  onAccept?(conn: ConnInfo): void;
  /** The upstream connected; exactly one onClose follows. Wire conntrack insert here. */
  onOpen?(conn: ConnInfo, backend: B): void;
  /** A connection that had an onOpen is over (both sides closed). Wire conntrack removal here. */
  onClose?(conn: ConnInfo, backend: B): void;
  /** One connect attempt failed (error or timeout); another attempt may follow. */
  onConnectFailure?(conn: ConnInfo, backend: B, attempt: number, error: Error): void;
  /** The connection was closed without being relayed. */
  onReject?(conn: ConnInfo | undefined, reason: RejectReason): void;
  /** The backend's connection broke (a reset, mostly) and the client was reset in turn. */
  onUpstreamReset?(conn: ConnInfo, backend: B): void;
  /** A connection `admit` let through is over, relayed or not: exactly once, so what admit took goes back. */
  onEnd?(conn: ConnInfo): void;
}

/** How to run one TCP (or TLS passthrough) listener. */
export interface TcpRelayOptions<B extends UpstreamAddress> {
  hostname: string;
  /** 0 picks a free port (read it back from `relay.port`). */
  port: number;
  /**
   * Accept on this already listening socket (a descriptor handed over by another listener or
   * process) instead of binding `hostname`:`port`, which then only name it.
   */
  fd?: number;
  /**
   * Picks the backend for attempt 0, 1, …; undefined means none left (the client is closed).
   * Called after the preamble, so `conn.sni` and a PROXY client identity are known.
   */
  choose(conn: ConnInfo, attempt: number): B | undefined;
  /**
   * Asked once per connection as soon as the client's address is final (at accept; after the
   * PROXY header on listeners that take one), before any byte goes to a backend: a reason closes
   * the connection (onReject) and no backend is chosen. Absent: every client is admitted.
   */
  admit?(conn: ConnInfo): RejectReason | undefined;
  /** Connect attempts in all, the first included (default 3). */
  maxAttempts?: number;
  connectTimeoutMs?: number;
  /** Close a connection after this long with no byte either way (default 300 s; 0 = never). */
  idleTimeoutMs?: number;
  /**
   * Open client connections beyond this are accepted and closed at once, with no byte sent
   * (default 65,536: the size the listener's connection-tracking table is reserved for).
   */
  maxConnections?: number;
  /** Prepend a PROXY header to every upstream connection. */
  sendProxy?: "none" | "v1" | "v2";
  /** Require a PROXY header from every client; only these peers may send one. */
  acceptProxy?: { trusted: CidrList; maxV2Bytes?: number };
  /** Read the TLS ClientHello (SNI, ALPN) before choosing; non-TLS or malformed → close. */
  tlsPassthrough?: boolean;
  /** Limit on reading the preamble (PROXY header and/or ClientHello), default 5 s. */
  preambleTimeoutMs?: number;
  /** Client bytes buffered while the upstream connects before the client is paused (64 KiB). */
  maxPendingBytes?: number;
  /** Share the port between worker processes (SO_REUSEPORT). */
  reusePort?: boolean;
  hooks?: TcpRelayHooks<B>;
}

/** Live counters of one listener (monotonic except `active`). */
export interface TcpRelayStats {
  accepted: number;
  active: number;
  relayed: number;
  refused: number;
  rejected: number;
  connectFailures: number;
  /** Relayed connections the backend broke off (a reset), passed on to the client as a reset. */
  upstreamResets: number;
  bytesIn: number;
  bytesOut: number;
}

export const RELAY_DEFAULTS = {
  maxAttempts: 3,
  connectTimeoutMs: 5000,
  idleTimeoutMs: 300_000,
  maxConnections: 65_536,
  preambleTimeoutMs: 5000,
  maxPendingBytes: 64 * 1024,
} as const;

/** The options with their defaults filled in. */
export type ResolvedRelayOptions<B extends UpstreamAddress> = TcpRelayOptions<B> & { -readonly [K in keyof typeof RELAY_DEFAULTS]: number };

/**
 * `o` with every limit it leaves unset at its default. A key present but undefined counts as
 * unset: callers pass config fields straight through (a listener without max_connections, a
 * tls_passthrough listener without a default pool and so no connect timeout), and a spread would
 * let that undefined replace the default (no limit at all, and NaN deadlines that never fire).
 */
export function withRelayDefaults<B extends UpstreamAddress>(o: TcpRelayOptions<B>): ResolvedRelayOptions<B> {
  const out: Record<string, unknown> = { ...RELAY_DEFAULTS };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as unknown as ResolvedRelayOptions<B>;
}
