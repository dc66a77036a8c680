/**
 * Connection-level counters per listener name that are not requests: TLS handshakes cut off by
 * handshake_timeout_ms, connections refused at max_connections, backend resets passed on to L4
 * clients, HTTP/2 connections' events, and clients refused by access lists,
 * max_connections_per_client or client certificates. Kept by name, so a listener rebound by a
 * config change keeps counting; shown in /v1/status and /metrics.
 */
import type { SnapshotListener } from "../../config/index.ts";
import { H2Counters } from "../../h2/index.ts";

export class ListenerCounters {
  /** Connections closed because the TLS handshake (https) or the preamble (L4) outlived handshake_timeout_ms. */
  handshakeTimeouts = 0;
  /** Client connections closed at accept because the listener was at its max_connections (tcp, tls_passthrough, http, https). */
  refusedConnections = 0;
  /** L4 connections whose backend reset them, passed on to the client as a reset. */
  upstreamResets = 0;
  /** L4 connections (udp: flows) relayed to a backend. */
  relayed = 0;
  /** http(s): what its HTTP/2 connections saw (streams, GOAWAYs, the protections that fired). */
  readonly h2 = new H2Counters();
  /** Refused by the listener's access list: L4 connections, udp datagrams, http(s) requests (403). */
  accessDenied = 0;
  /** Refused by max_connections_per_client: connections (udp: new flows' datagrams). */
  clientLimitRefused = 0;
  /** Let through uncounted by max_connections_per_client because its table was full. */
  clientLimitUntracked = 0;
  /** https with client_auth, by reason: handshakes refused for want of a valid certificate, 403s for an invalid one. */
  readonly certRefusals = new Map<string, number>();

  /** Counts one client certificate refused for `reason` (missing, expired, untrusted, invalid). */
  refuseCert(reason: string): void {
    this.certRefusals.set(reason, (this.certRefusals.get(reason) ?? 0) + 1);
  }

  get clientCertRefused(): number {
    let n = 0;
    for (const v of this.certRefusals.values()) n += v;
    return n;
  }

  /** As the listener last bound: whether it has a handshake to time out, whether it is L4, whether it holds connections (not udp). */
  handshake = false;
  l4 = false;
  connections = false;
}

/** What /v1/status adds to a listener's entry: only the counters its protocol or settings can move. */
export interface ListenerCountersView {
  handshake_timeouts?: number;
  upstream_resets?: number;
  access_denied?: number;
  client_limit_refused?: number;
  client_limit_untracked?: number;
  client_cert_refused?: number;
}

/** True when listener `l` can see handshake timeouts: TLS (https, passthrough) or a PROXY header to read. */
export function hasHandshake(l: Pick<SnapshotListener, "protocol" | "proxyProtocol">): boolean {
  return l.protocol === "https" || l.protocol === "tls_passthrough" || (l.protocol === "tcp" && l.proxyProtocol.acceptFrom.size > 0);
}

export class ListenerCounterBook {
  readonly #byName = new Map<string, ListenerCounters>();

  /** The counters of listener `l`, created on first use; call when (re)binding it. */
  bind(l: SnapshotListener): ListenerCounters {
    let c = this.#byName.get(l.name);
    if (!c) {
      c = new ListenerCounters();
      this.#byName.set(l.name, c);
    }
    c.handshake = hasHandshake(l);
    c.l4 = l.protocol === "tcp" || l.protocol === "tls_passthrough";
    c.connections = l.protocol !== "udp";
    return c;
  }

  /**
   * The counters of `name` as /v1/status shows them (empty for a listener never bound); `l`, the
   * listener as configured now, adds those of the features it sets (and any that moved before).
   */
  view(name: string, l?: SnapshotListener): ListenerCountersView {
    const c = this.#byName.get(name);
    return {
      ...(c?.handshake ? { handshake_timeouts: c.handshakeTimeouts } : {}),
      ...(c?.l4 ? { upstream_resets: c.upstreamResets } : {}),
      ...(c && (l?.access || c.accessDenied > 0) ? { access_denied: c.accessDenied } : {}),
      ...(c && (l?.maxConnectionsPerClient !== undefined || c.clientLimitRefused > 0)
        ? { client_limit_refused: c.clientLimitRefused, client_limit_untracked: c.clientLimitUntracked }
        : {}),
      ...(c && (l?.clientAuth || c.clientCertRefused > 0) ? { client_cert_refused: c.clientCertRefused } : {}),
    };
  }

  entries(): IterableIterator<[string, ListenerCounters]> {
    return this.#byName.entries();
  }
}
