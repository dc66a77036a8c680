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

/**
 * Where a breaker keeps its three gauges: a table of Int32 cells changed atomically (the node's
 * shared NodeCounters when the node runs several workers, so each cap holds for the whole node),
 * at three slots. `signal`, when set, is called when a request starts waiting for a connection or a
 * connection closes while requests wait: other workers may then free or use a connection.
 */
export interface BreakerCells {
  readonly cells: GaugeCells;
  /** The slots of connections, pending and requests, in that order. */
  readonly slots: readonly [number, number, number];
  readonly signal?: () => void;
}

/** What a breaker needs of a counter table (NodeCounters has it). */
export interface GaugeCells {
  value(slot: number): number;
  tryAcquire(slot: number, cap: number): boolean;
  add(slot: number, n: number): number;
  release(slot: number): number;
}

/** A private table of three cells: a breaker with nobody to share with. */
class LocalCells implements GaugeCells {
  readonly #v = new Int32Array(3);
  value(slot: number): number {
    return this.#v[slot]!;
  }
  tryAcquire(slot: number, cap: number): boolean {
    if (this.#v[slot]! >= cap) return false;
    this.#v[slot]!++;
    return true;
  }
  add(slot: number, n: number): number {
    return (this.#v[slot]! += n);
  }
  release(slot: number): number {
    if (this.#v[slot]! > 0) this.#v[slot]!--;
    return this.#v[slot]!;
  }
}

const GAUGES: Record<BreakerGauge, 0 | 1 | 2> = { connections: 0, pending: 1, requests: 2 };

export class CircuitBreaker {
  /** Every cap hit, all kinds together (this thread's: summed over workers by the stats). */
  overflows = 0;
  /** Cap hits by kind. */
  readonly overflowsByKind: Record<OverflowKind, number> = { connections: 0, pending: 0, requests: 0, pending_timeout: 0 };
  readonly #cells: GaugeCells;
  readonly #slots: readonly [number, number, number];
  readonly #signal: (() => void) | undefined;

  constructor(
    public spec: BreakerSpec = DEFAULT_BREAKER,
    backing?: BreakerCells,
  ) {
    this.#cells = backing?.cells ?? new LocalCells();
    this.#slots = backing?.slots ?? [0, 1, 2];
    this.#signal = backing?.signal;
  }

  /** Upstream connections open to the pool's backends (L4 and L7 together), node-wide. */
  get connections(): number {
    return this.#cells.value(this.#slots[0]);
  }

  /** L7 requests waiting for an upstream connection, node-wide. */
  get pending(): number {
    return this.#cells.value(this.#slots[1]);
  }

  /** Requests in flight, node-wide. */
  get requests(): number {
    return this.#cells.value(this.#slots[2]);
  }

  get maxConnections(): number {
    return this.spec.maxConnections;
  }

  get maxPendingRequests(): number {
    return this.spec.maxPendingRequests;
  }

  /** Takes one unit of `gauge` if under its cap; false (and an overflow counted) if not. */
  tryAcquire(gauge: BreakerGauge): boolean {
    if (this.tryTake(gauge)) return true;
    this.countOverflow(gauge);
    return false;
  }

  /** Takes one unit of `gauge` if under its cap, counting nothing when it is not (the caller decides). */
  tryTake(gauge: BreakerGauge): boolean {
    const ok = this.#cells.tryAcquire(this.#slots[GAUGES[gauge]], this.#cap(gauge));
    if (ok && gauge === "pending") this.#signal?.();
    return ok;
  }

  /** Takes one unit of `gauge` whatever its cap (a connection opened by a caller that names no limits). */
  take(gauge: BreakerGauge): void {
    this.#cells.add(this.#slots[GAUGES[gauge]], 1);
  }

  /** Gives back one unit taken by `tryAcquire`, `tryTake` or `take`. */
  release(gauge: BreakerGauge): void {
    this.#cells.release(this.#slots[GAUGES[gauge]]);
    if (gauge === "connections" && this.#signal !== undefined && this.pending > 0) this.#signal();
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
