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

/** Envoy's defaults: 1024 of each. */
export const DEFAULT_BREAKER: BreakerSpec = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 };

export class CircuitBreaker {
  connections = 0;
  pending = 0;
  requests = 0;
  overflows = 0;

  constructor(public spec: BreakerSpec = DEFAULT_BREAKER) {}

  /** Takes one unit of `gauge` if under its cap; false (and an overflow counted) if not. */
  tryAcquire(gauge: BreakerGauge): boolean {
    if (this[gauge] >= this.#cap(gauge)) {
      this.overflows++;
      return false;
    }
    this[gauge]++;
    return true;
  }

  /** Gives back one unit taken by `tryAcquire`. */
  release(gauge: BreakerGauge): void {
    if (this[gauge] > 0) this[gauge]--;
  }

  #cap(gauge: BreakerGauge): number {
    if (gauge === "connections") return this.spec.maxConnections;
    if (gauge === "pending") return this.spec.maxPendingRequests;
    return this.spec.maxRequests;
  }
}
