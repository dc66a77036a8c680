/**
 * Circuit breaking per pool, as Envoy has it: caps on connections, pending requests (waiting for
 * an upstream connection) and active requests. A request over a cap fails fast (the data plane
 * answers 503 `x-fulcrum-error: OVERFLOW`); nothing ever queues without bound.
 */
export interface BreakerSpec {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
}

export type BreakerGauge = "connections" | "pending" | "requests";

/**
 * Why a cap was hit (Envoy's upstream_cx_overflow, upstream_rq_pending_overflow, upstream_rq_overflow):
 * `connections`: a new upstream connection was not opened (L4: the client connection refused; L7:
 * the request had to wait for one); `pending`: the wait queue was full (refused); `requests`:
 * max_requests (refused); `pending_timeout`: a waiting request waited past the connect timeout (refused).
 */
export type OverflowKind = BreakerGauge | "pending_timeout";

export const OVERFLOW_KINDS: readonly OverflowKind[] = ["connections", "pending", "requests", "pending_timeout"];

/** Envoy's defaults: 1024 of each. */
export const DEFAULT_BREAKER: BreakerSpec = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 };

export class CircuitBreaker {
  /** Upstream connections open to the pool's backends (L4 and L7 together). */
  connections = 0;
  /** L7 requests waiting for an upstream connection. */
  pending = 0;
  requests = 0;
  /** Every cap hit, all kinds together. */
  overflows = 0;
  /** Cap hits by kind. */
  readonly overflowsByKind: Record<OverflowKind, number> = { connections: 0, pending: 0, requests: 0, pending_timeout: 0 };

  constructor(public spec: BreakerSpec = DEFAULT_BREAKER) {}

  get maxConnections(): number {
    return this.spec.maxConnections;
  }

  get maxPendingRequests(): number {
    return this.spec.maxPendingRequests;
  }

  /** Takes one unit of `gauge` if under its cap; false (and an overflow counted) if not. */
  tryAcquire(gauge: BreakerGauge): boolean {
    if (this[gauge] >= this.#cap(gauge)) {
      this.countOverflow(gauge);
      return false;
    }
    this[gauge]++;
    return true;
  }

  /** Gives back one unit taken by `tryAcquire`. */
  release(gauge: BreakerGauge): void {
    if (this[gauge] > 0) this[gauge]--;
  }

  /** Counts one cap hit of `kind` (also called by the L7 connection queue, which keeps its own gauges here). */
  countOverflow(kind: OverflowKind): void {
    this.overflows++;
    this.overflowsByKind[kind]++;
  }

  #cap(gauge: BreakerGauge): number {
    if (gauge === "connections") return this.spec.maxConnections;
    if (gauge === "pending") return this.spec.maxPendingRequests;
    return this.spec.maxRequests;
  }
}
