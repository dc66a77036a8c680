/**
 * Connection-level counters per listener name that are not requests: TLS handshakes cut off by
 * handshake_timeout_ms, connections refused at max_connections, and backend resets passed on to L4 clients. Kept by name, so a listener
 * rebound by a config change keeps counting; shown in /v1/status and /metrics.
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
  /** As the listener last bound: whether it has a handshake to time out, whether it is L4, whether it holds connections (not udp). */
  handshake = false;
  l4 = false;
  connections = false;
}

/** What /v1/status adds to a listener's entry: only the counters its protocol can move. */
export interface ListenerCountersView {
  handshake_timeouts?: number;
  upstream_resets?: number;
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

  /** The counters of `name` as /v1/status shows them (empty for a listener never bound). */
  view(name: string): ListenerCountersView {
    const c = this.#byName.get(name);
    return {
      ...(c?.handshake ? { handshake_timeouts: c.handshakeTimeouts } : {}),
      ...(c?.l4 ? { upstream_resets: c.upstreamResets } : {}),
    };
  }

  entries(): IterableIterator<[string, ListenerCounters]> {
    return this.#byName.entries();
  }
}
