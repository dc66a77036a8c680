/** Compiles one validated pool: parsed backends, filled defaults, and its selector. */
import { createSelector, HASHING_ALGORITHMS, parseHashOn, type HashOn, type Selector } from "../balance/index.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RESPONSE_TIMEOUT_MS } from "./defaults.ts";
import { parseHostPort } from "../net/index.ts";
import { throwIfAny } from "./problems.ts";
import type { Pool } from "./schema.ts";
import type { SnapshotBackend, SnapshotDiscovery, SnapshotPool, SnapshotUpstreamTls } from "./snapshot.ts";
import { parseResolver, type Discovery } from "./schema-discovery.ts";

/**
 * Builds the SnapshotPool for `p` (at path `at`, e.g. "pools[2]"); throws CONFIG_INVALID on failure.
 * A hashing pool whose table inputs equal `previous`'s (the same pool in the snapshot being served)
 * keeps its selector: tables are immutable, and rebuilding a 65,537-slot Maglev table for every
 * pool on every revision costs milliseconds each.
 */
export function compilePool(p: Pool, at: string, previous?: SnapshotPool): SnapshotPool {
  const protocol = p.protocol ?? "http1";
  const tls = upstreamTls(p);
  const h2 = protocol === "http1" ? undefined : protocol;
  const backends = p.backends.map((b, k): SnapshotBackend => {
    const hp = parseHostPort(b.address);
    if (typeof hp === "string") return throwIfAny([{ path: `${at}.backends[${k}].address`, message: hp }]) as never;
    return snapshotBackend(b.address, hp.host, hp.port, b.weight, b.state, tls, h2);
  });
  const usable = backends.filter((b) => b.state === "active");
  const hashOn = hashOnOf(p);
  const opts = {
    algorithm: p.algorithm,
    hashOn,
    tableSize: p.table_size,
    ringMinSize: p.ring_min_size,
    hashBalanceFactor: p.hash_balance_factor,
  };
  let selector: Selector;
  try {
    selector = previous && sameTable(previous, opts, usable) ? previous.selector : poolSelector(opts, usable);
  } catch (e) {
    throwIfAny([{ path: at, message: `cannot build the ${p.algorithm} selector: ${(e as Error).message}` }]);
    throw e;
  }
  const discovery = p.discovery ? compileDiscovery(p.discovery) : undefined;
  return {
    name: p.name,
    ...(tls ? { tls } : {}),
    protocol,
    algorithm: p.algorithm,
    ...(hashOn ? { hashOn } : {}),
    ...(p.table_size !== undefined ? { tableSize: p.table_size } : {}),
    ...(p.ring_min_size !== undefined ? { ringMinSize: p.ring_min_size } : {}),
    ...(p.hash_balance_factor !== undefined ? { hashBalanceFactor: p.hash_balance_factor } : {}),
    ...(p.sticky ? { sticky: { cookie: p.sticky.cookie, ttlS: p.sticky.ttl_s, secret: p.sticky.secret } } : {}),
    ...(p.health_check ? { healthCheck: { ...p.health_check } } : {}),
    ...(p.outlier_detection ? { outlierDetection: { ...p.outlier_detection } } : {}),
    connectTimeoutMs: p.connect_timeout_ms ?? DEFAULT_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: p.response_timeout_ms ?? DEFAULT_RESPONSE_TIMEOUT_MS,
    ...(p.request_timeout_ms !== undefined ? { requestTimeoutMs: p.request_timeout_ms } : {}),
    ...(p.idle_timeout_ms !== undefined ? { idleTimeoutMs: p.idle_timeout_ms } : {}),
    panicThreshold: p.panic_threshold ?? 50,
    slowStartMs: p.slow_start_ms ?? 0,
    circuitBreaker: {
      maxConnections: p.circuit_breaker?.max_connections ?? 1024,
      maxPendingRequests: p.circuit_breaker?.max_pending_requests ?? 1024,
      maxRequests: p.circuit_breaker?.max_requests ?? 1024,
    },
    ...(discovery ? { discovery } : {}),
    backends,
    usable,
    selector,
  };
}

/** True when a hashing pool's selector for `opts` over `usable` would be `prev`'s. */
function sameTable(prev: SnapshotPool, opts: { algorithm: Pool["algorithm"]; hashOn?: HashOn; tableSize?: number; ringMinSize?: number; hashBalanceFactor?: number }, usable: readonly SnapshotBackend[]): boolean {
  if (!HASHING_ALGORITHMS.has(opts.algorithm) || prev.algorithm !== opts.algorithm) return false;
  if (prev.tableSize !== opts.tableSize || prev.ringMinSize !== opts.ringMinSize || prev.hashBalanceFactor !== opts.hashBalanceFactor) return false;
  if (JSON.stringify(prev.hashOn) !== JSON.stringify(opts.hashOn) || prev.usable.length !== usable.length) return false;
  return prev.usable.every((b, i) => b.address === usable[i]!.address && b.weight === usable[i]!.weight);
}

/** A backend as every pool's backends are built (also the ones found in DNS): TLS and its connection-pool key included. */
export function snapshotBackend(
  address: string, host: string, port: number, weight: number, state: SnapshotBackend["state"],
  tls: SnapshotUpstreamTls | undefined, h2: "h2" | "h2c" | undefined, discoveredFrom?: string,
): SnapshotBackend {
  const key = `${address}${h2 ? `|${h2}` : ""}${tls ? `|tls|${tls.key}` : ""}`;
  return {
    address, host, port, weight, state,
    ...(tls ? { tls } : {}), ...(h2 ? { protocol: h2 } : {}), ...(key !== address ? { poolKey: key } : {}),
    ...(discoveredFrom !== undefined ? { discoveredFrom } : {}),
  };
}

/** The selector over a pool's usable backends (throws what the algorithm refuses). */
export function poolSelector(
  opts: Pick<SnapshotPool, "algorithm" | "hashOn" | "tableSize" | "ringMinSize" | "hashBalanceFactor">, usable: readonly SnapshotBackend[],
): Selector {
  return createSelector(
    usable.map((b) => ({ key: b.address, weight: b.weight })),
    opts,
  );
}

function compileDiscovery(d: Discovery): SnapshotDiscovery {
  // parseResolver accepted every entry at validation
  const resolvers = (d.resolvers ?? []).map((r) => parseResolver(r) as { host: string; port: number });
  const port = d.port ?? 0;
  return {
    name: d.dns.toLowerCase().replace(/\.$/, ""),
    type: d.type,
    port,
    intervalMs: d.interval_ms,
    resolvers,
    weight: d.weight ?? 1,
    drainMs: d.drain_ms,
    key: JSON.stringify([d.dns.toLowerCase(), d.type, port, resolvers]),
  };
}

function hashOnOf(p: Pool): HashOn | undefined {
  if (p.algorithm === "source_ip_hash") return { kind: "source_ip" };
  return p.hash_on === undefined ? undefined : parseHashOn(p.hash_on);
}

/** The pool's upstream TLS, built once and shared by its backends (each request's pick carries it). */
function upstreamTls(p: Pool): SnapshotUpstreamTls | undefined {
  // HTTP/2 over TLS without a tls section: verified against the system's roots, SNI the backend's host
  const t = p.tls ?? (p.protocol === "h2" ? { verify: true } : undefined);
  if (!t) return undefined;
  const ca = t.ca_pem;
  return {
    ...(t.server_name !== undefined ? { serverName: t.server_name } : {}),
    ...(ca !== undefined ? { ca } : {}),
    verify: t.verify,
    key: `${t.server_name ?? ""}|${t.verify ? "verify" : "noverify"}|${ca === undefined ? "" : Bun.hash(ca).toString(36)}`,
  };
}
