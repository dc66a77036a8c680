/**
 * Runs one http or https listener of the snapshot on Fulcrum's own HTTP/1.1 and HTTP/2 engine (src/l7) with
 * the policy hooks of l7-hooks.ts. Listeners share one upstream connection pool, so keep-alive
 * connections to a backend serve every listener that routes to it. An https listener serves its
 * certificates by SNI (tls-contexts.ts). Every listener binds with reusePort, so that a successor
 * can bind the same port before this one retires (listener-set.ts).
 */
import type { SnapshotListener } from "../../config/index.ts";
import { startProxy, type UpstreamPool } from "../../l7/index.ts";
import { RELAY_DEFAULTS } from "../../l4/index.ts";
import { l7Hooks, type L7HookDeps } from "./l7-hooks.ts";
import type { BoundListener } from "../listeners/listener-set.ts";
import { listenerTls } from "./tls-contexts.ts";
import { certRefusalReason } from "./client-cert.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";

/**
 * Starts listener `l` (http or https); the hooks read the live snapshot per request. `fd`: accept
 * on this listening socket (a predecessor's, duplicated, or one handed over by another node)
 * instead of binding.
 */
export function startL7Listener(l: SnapshotListener, deps: Omit<L7HookDeps, "name" | "counters">, pool: UpstreamPool, counters: ListenerCounters, fd?: number): BoundListener {
  const server = startProxy({
    hostname: l.host,
    port: l.port,
    ...(fd !== undefined ? { fd } : {}),
    reusePort: true,
    hooks: l7Hooks({ ...deps, name: l.name, counters }),
    ...(l.protocol === "https" ? listenerTls(l.name, l.certificates, l.alpn, l.clientAuth) : {}),
    h2c: l.h2c,
    h2: { counters: counters.h2 },
    timeouts: { handshakeMs: l.handshakeTimeoutMs, headerMs: l.headerTimeoutMs, idleMs: l.idleTimeoutMs },
    onHandshakeTimeout: () => void counters.handshakeTimeouts++,
    ...(l.clientAuth?.mode === "require" ? { onHandshake: certRefusals(counters) } : {}),
    maxConnections: l.maxConnections ?? RELAY_DEFAULTS.maxConnections,
    onRefused: () => void counters.refusedConnections++,
    ...(l.maxBodyBytes > 0 ? { maxBodyBytes: l.maxBodyBytes } : {}),
    ...(l.proxyProtocol.acceptFrom.size > 0 ? { acceptProxy: { trusted: l.proxyProtocol.acceptFrom } } : {}),
    pool,
  });
  let retireTimer: ReturnType<typeof setTimeout> | undefined;
  return {
    port: server.port,
    get fd() {
      return server.fd;
    },
    active: () => server.connections(),
    async stop(graceMs: number) {
      clearTimeout(retireTimer);
      server.stop(graceMs <= 0);
    },
    retire(graceMs: number) {
      server.stopAccepting();
      if (server.connections() === 0) return server.stop(false);
      // Open connections (idle keep-alive ones too) carry on as they were; after the grace they
      // drain: each response in flight is the last, idle ones close.
      retireTimer = setTimeout(() => server.stop(false), graceMs);
      retireTimer.unref?.();
    },
  };
}

/** client_auth require: counts the handshakes the TLS layer refused for the client's certificate. */
function certRefusals(counters: ListenerCounters): (authorized: boolean, error: Error | null) => void {
  return (authorized, error) => {
    if (authorized) return;
    const reason = certRefusalReason((error as { code?: string } | null)?.code, error?.message);
    if (reason !== undefined) counters.refuseCert(reason);
  };
}
