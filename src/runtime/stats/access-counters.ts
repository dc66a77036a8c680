/**
 * Requests refused by route access lists, per route (listener-level refusals are ListenerCounters'),
 * and the /metrics series of both levels' access and per-client counters.
 */
import type { Registry } from "../../obs/index.ts";
import type { ListenerCounterBook } from "./listener-counters.ts";

export class AccessCounters {
  readonly #routes = new Map<string, { listener: string; route: string; denied: number }>();

  /** One request refused by route `route` of listener `listener` (a refusal path: a Map lookup is fine). */
  routeDenied(listener: string, route: string): void {
    const key = `${listener}/${route}`;
    let c = this.#routes.get(key);
    if (!c) this.#routes.set(key, (c = { listener, route, denied: 0 }));
    c.denied++;
  }

  /** Refusals of route `route` of `listener` so far. */
  denied(listener: string, route: string): number {
    return this.#routes.get(`${listener}/${route}`)?.denied ?? 0;
  }

  routes(): IterableIterator<{ listener: string; route: string; denied: number }> {
    return this.#routes.values();
  }
}

/** The access, per-client limit and client certificate series (fulcrum_listener_*, fulcrum_route_*). */
export function registerAccessMetrics(metrics: Registry, counters: ListenerCounterBook, access: AccessCounters, tracked: (listener: string) => number | undefined): void {
  metrics.counter("fulcrum_listener_access_denied_total", "Refused by the listener's access list: L4 connections closed at accept, udp datagrams dropped, http(s) requests answered 403", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.accessDenied > 0) c.set(k.accessDenied, { listener: name });
  });
  metrics.counter("fulcrum_route_access_denied_total", "Requests answered 403 ACCESS_DENIED by a route's access list", ["listener", "route"], (c) => {
    for (const r of access.routes()) c.set(r.denied, { listener: r.listener, route: r.route });
  });
  metrics.counter("fulcrum_listener_client_limit_refused_total", "Connections (udp: new flows) refused by max_connections_per_client: L4 closed at once, http(s) answered 429", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.clientLimitRefused > 0) c.set(k.clientLimitRefused, { listener: name });
  });
  metrics.counter("fulcrum_listener_client_limit_untracked_total", "Connections let through uncounted by max_connections_per_client because its client table was full", ["listener"], (c) => {
    for (const [name, k] of counters.entries()) if (k.clientLimitUntracked > 0) c.set(k.clientLimitUntracked, { listener: name });
  });
  // In a node of several workers each reports the node's count (shared memory): the node shows it once, not summed.
  metrics.gauge("fulcrum_listener_tracked_clients", "Distinct clients with an open connection counted by max_connections_per_client", ["listener"], (g) => {
    for (const [name] of counters.entries()) {
      const n = tracked(name);
      if (n !== undefined) g.set(n, { listener: name });
    }
  }).merge = "max";
  metrics.counter("fulcrum_listener_client_cert_refused_total", "https client_auth: handshakes refused for want of a valid client certificate (require), connections answered 403 CLIENT_CERT_INVALID (optional)", ["listener", "reason"], (c) => {
    for (const [name, k] of counters.entries()) for (const [reason, n] of k.certRefusals) c.set(n, { listener: name, reason });
  });
}
