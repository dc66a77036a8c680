/** Compiles one validated pool: parsed backends, filled defaults, and its selector. */
import { createSelector, parseHashOn, type HashOn, type Selector } from "../balance/index.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "./defaults.ts";
import { parseHostPort } from "./net.ts";
import { throwIfAny } from "./problems.ts";
import type { Pool } from "./schema.ts";
import type { SnapshotBackend, SnapshotHealthCheck, SnapshotPool } from "./snapshot.ts";

/** Builds the SnapshotPool for `p` (at path `at`, e.g. "pools[2]"); throws CONFIG_INVALID on failure. */
export function compilePool(p: Pool, at: string): SnapshotPool {
  const backends = p.backends.map((b, k): SnapshotBackend => {
    const hp = parseHostPort(b.address);
    if (typeof hp === "string") return throwIfAny([{ path: `${at}.backends[${k}].address`, message: hp }]) as never;
    return { address: b.address, host: hp.host, port: hp.port, weight: b.weight, state: b.state };
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
    selector = createSelector(
      usable.map((b) => ({ key: b.address, weight: b.weight })),
      opts,
    );
  } catch (e) {
    throwIfAny([{ path: at, message: `cannot build the ${p.algorithm} selector: ${(e as Error).message}` }]);
    throw e;
  }
  return {
    name: p.name,
    algorithm: p.algorithm,
    ...(hashOn ? { hashOn } : {}),
    ...(p.table_size !== undefined ? { tableSize: p.table_size } : {}),
    ...(p.ring_min_size !== undefined ? { ringMinSize: p.ring_min_size } : {}),
    ...(p.hash_balance_factor !== undefined ? { hashBalanceFactor: p.hash_balance_factor } : {}),
    ...(p.sticky ? { sticky: { cookie: p.sticky.cookie, ttlS: p.sticky.ttl_s, secret: p.sticky.secret } } : {}),
    ...(p.health_check ? { healthCheck: healthCheckOf(p.health_check) } : {}),
    connectTimeoutMs: p.connect_timeout_ms ?? DEFAULT_CONNECT_TIMEOUT_MS,
    backends,
    usable,
    selector,
  };
}

function hashOnOf(p: Pool): HashOn | undefined {
  if (p.algorithm === "source_ip_hash") return { kind: "source_ip" };
  return p.hash_on === undefined ? undefined : parseHashOn(p.hash_on);
}

function healthCheckOf(h: NonNullable<Pool["health_check"]>): SnapshotHealthCheck {
  return {
    type: h.type,
    ...(h.path !== undefined ? { path: h.path } : {}),
    ...(h.host !== undefined ? { host: h.host } : {}),
    ...(h.expected_status !== undefined ? { expectedStatus: h.expected_status } : {}),
    intervalMs: h.interval_ms,
    timeoutMs: h.timeout_ms,
    healthyThreshold: h.healthy_threshold,
    unhealthyThreshold: h.unhealthy_threshold,
  };
}
