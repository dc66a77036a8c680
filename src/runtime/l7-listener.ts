/**
 * Runs one http or https listener of the snapshot on Fulcrum's own HTTP/1.1 engine (src/l7) with
 * the policy hooks of l7-hooks.ts. Listeners share one upstream connection pool, so keep-alive
 * connections to a backend serve every listener that routes to it.
 */
import { constants } from "node:crypto";
import type { SnapshotListener } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { CidrList } from "../l4/index.ts";
import { startProxy, type UpstreamPool } from "../l7/index.ts";
import { l7Hooks, type L7HookDeps } from "./l7-hooks.ts";
import type { BoundListener } from "./listener-set.ts";

// ALPN in wire format (length-prefixed names): HTTP/1.1 only; TLS 1.0 and 1.1 refused.
const ALPN_HTTP11 = Buffer.from("\x08http/1.1", "latin1");
const NO_OLD_TLS = constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1;

function tlsOptions(cert: string, key: string) {
  return { cert, key, ALPNProtocols: ALPN_HTTP11, secureOptions: NO_OLD_TLS };
}

/** Starts listener `l` (http or https); the hooks read the live snapshot per request. */
export function startL7Listener(l: SnapshotListener, deps: Omit<L7HookDeps, "name">, pool: UpstreamPool): BoundListener {
  if (l.protocol === "https" && l.certificates.length > 1) {
    // Bun.listen takes one certificate (BUN-NOTES); SNI selection among several needs another path.
    throw new LbError("CONFIG_INVALID", `listener ${l.name}: several certificates on one https listener are not served yet; give it one`);
  }
  const cert = l.certificates[0];
  const server = startProxy({
    hostname: l.host,
    port: l.port,
    hooks: l7Hooks({ ...deps, name: l.name }),
    ...(l.protocol === "https" && cert ? { tls: tlsOptions(cert.certPem, cert.keyPem) } : {}),
    timeouts: { headerMs: l.headerTimeoutMs, idleMs: l.idleTimeoutMs },
    ...(l.maxBodyBytes > 0 ? { maxBodyBytes: l.maxBodyBytes } : {}),
    ...(l.proxyProtocol.acceptFrom.length > 0
      ? { acceptProxy: { trusted: new CidrList(l.proxyProtocol.acceptFrom.map((c) => `${c.address}/${c.prefix}`)) } }
      : {}),
    pool,
  });
  return {
    port: server.port,
    active: () => server.connections(),
    async stop(graceMs: number) {
      server.stop(graceMs <= 0);
    },
  };
}
