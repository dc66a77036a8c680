/** Compiles one validated pool: parsed backends, filled defaults, and its selector. */
import { createSelector, HASHING_ALGORITHMS, parseHashOn, type HashOn, type Selector } from "../balance/index.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RESPONSE_TIMEOUT_MS } from "./defaults.ts";
import { parseHostPort } from "../net/index.ts";
import { throwIfAny } from "./problems.ts";
import type { Pool } from "./schema.ts";
import type { SnapshotBackend, SnapshotPool, SnapshotUpstreamTls } from "./snapshot.ts";

/**
 * Builds the SnapshotPool for `p` (at path `at`, e.g. "pools[2]"); throws CONFIG_INVALID on failure.
 * A hashing pool whose table inputs equal `previous`'s (the same pool in the snapshot being served)
 * keeps its selector: tables are immutable, and rebuilding a 65,537-slot Maglev table for every
 * pool on every revision costs milliseconds each.
 */
export function compilePool(p: Pool, at: string, previous?: SnapshotPool): SnapshotPool {
  const tls = upstreamTls(p);
  const backends = p.backends.map((b, k): SnapshotBackend => {
    const hp = parseHostPort(b.address);
    if (typeof hp === "string") return throwIfAny([{ path: `${at}.backends[${k}].address`, message: hp }]) as never;
    return { address: b.address, host: hp.host, port: hp.port, weight: b.weight, state: b.state, ...(tls ? { tls, poolKey: `${b.address}|tls|${tls.key}` } : {}) };
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
    selector = (previous && sameTable(previous, opts, usable)) ? previous.selector : createSelector(
      usable.map((b) => ({ key: b.address, weight: b.weight })),
      opts,
    );
  } catch (e) {
    throwIfAny([{ path: at, message: `cannot build the ${p.algorithm} selector: ${(e as Error).message}` }]);
    throw e;
  }
  return {
    name: p.name,
    ...(tls ? { tls } : {}),
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

function hashOnOf(p: Pool): HashOn | undefined {
  if (p.algorithm === "source_ip_hash") return { kind: "source_ip" };
  return p.hash_on === undefined ? undefined : parseHashOn(p.hash_on);
}

/** The pool's upstream TLS, built once and shared by its backends (each request's pick carries it). */
function upstreamTls(p: Pool): SnapshotUpstreamTls | undefined {
  const t = p.tls;
  if (!t) return undefined;
  const ca = t.ca_pem;
  return {
    ...(t.server_name !== undefined ? { serverName: t.server_name } : {}),
    ...(ca !== undefined ? { ca } : {}),
    verify: t.verify,
    key: `${t.server_name ?? ""}|${t.verify ? "verify" : "noverify"}|${ca === undefined ? "" : Bun.hash(ca).toString(36)}`,
  };
}
