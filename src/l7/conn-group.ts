/**
 * Upstream connections counted together against caps: one group per pool (its circuit breaker),
 * as Envoy keeps one connection pool per cluster. A group holds its own idle connections per
 * backend, so a pool's max_connections counts only the connections opened for it, and the FIFO
 * queue of requests waiting for a connection while the group is at max_connections (bounded by
 * max_pending_requests, each wait by the connect timeout). upstream-pool.ts drives it.
 */
import { LbError } from "../errors.ts";
import type { Upstream } from "./hooks.ts";
import { ConnState, type UpstreamConn, type UpstreamHandler } from "./upstream-conn.ts";
import type { UpstreamLeg } from "./upstream-leg.ts";
import { H2UpstreamConn } from "./h2-upstream-conn.ts";

/** Cap hits a group reports (see the circuit breaker's OverflowKind). */
export type ConnOverflowKind = "connections" | "pending" | "pending_timeout";

/**
 * The gauges and caps a group counts against; a pool's CircuitBreaker is one. The gauges may be
 * shared with other workers of the node (then they count the node's connections and waits, and
 * a unit is only ever taken by `tryTake`, never by reading and writing them).
 */
export interface ConnLimits {
  /** Upstream connections open now (connecting, busy or idle). */
  readonly connections: number;
  /** Requests waiting for a connection now. */
  readonly pending: number;
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  /** Takes one unit if under its cap (nothing counted when not). */
  tryTake(gauge: "connections" | "pending"): boolean;
  /** Takes one connection whatever the cap (callers that name no limits). */
  take(gauge: "connections"): void;
  release(gauge: "connections" | "pending"): void;
  countOverflow(kind: ConnOverflowKind): void;
}

/** No caps: what a pool uses for callers that name no group. */
export function unlimited(): ConnLimits {
  const g = { connections: 0, pending: 0 };
  return {
    get connections() {
      return g.connections;
    },
    get pending() {
      return g.pending;
    },
    maxConnections: Infinity,
    maxPendingRequests: Infinity,
    tryTake(gauge) {
      g[gauge]++;
      return true;
    },
    take(gauge) {
      g[gauge]++;
    },
    release(gauge) {
      if (g[gauge] > 0) g[gauge]--;
    },
    countOverflow() {},
  };
}

/** A request that can wait for a connection. Exactly one of the two is called, unless it cancels first. */
export interface ConnWaiter extends UpstreamHandler {
  /** A connection (idle or new) is this request's now, in FIFO order. */
  onUpstreamGranted(leg: UpstreamLeg): void;
  /** The wait ran past its connect timeout: 503 OVERFLOW. */
  onUpstreamWaitFailed(err: LbError): void;
}

export interface Waiter {
  readonly w: ConnWaiter;
  readonly target: string | Upstream;
  readonly key: string;
  readonly connectTimeoutMs: number;
  /** Date.now() after which the wait fails. */
  readonly expires: number;
}

export class ConnGroup {
  /** Idle connections per pool key, LIFO (the warmest on top). */
  readonly idle = new Map<string, UpstreamConn[]>();
  /** HTTP/2 connections per pool key, busy or idle (each carries many requests: h2-pool.ts). */
  readonly h2 = new Map<string, H2UpstreamConn[]>();
  /** Requests waiting for a connection, oldest first. */
  readonly waiters: Waiter[] = [];
  /** Known to the pool's idle sweep. */
  registered = false;
  /** A pump (grant to waiters) is queued as a microtask. */
  pumpQueued = false;
  /** One timer per group, for the oldest wait's expiry: none per request. */
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly limits: ConnLimits) {}

  /** An open idle connection for `key`, taken off the idle stack; null when none. */
  popIdle(key: string): UpstreamConn | null {
    const stack = this.idle.get(key);
    while (stack !== undefined && stack.length > 0) {
      const c = stack.pop()!;
      c.pooled = false;
      if (c.state === ConnState.Open) return c;
    }
    return null;
  }

  /**
   * Takes one unit of max_connections for a connection about to open: under the cap, or made so by
   * closing the oldest idle connection (to another backend: the caller found none for its own).
   * False: nothing taken.
   */
  reserve(): boolean {
    if (this.limits.tryTake("connections")) return true;
    if (!this.closeOldestIdle()) return false;
    return this.limits.tryTake("connections");
  }

  /**
   * Closes the oldest idle connection (HTTP/1.1, or HTTP/2 with no stream open); false when there
   * is none. Its close hands its unit back at once (UpstreamPool.closed, H2Pool.closedH2).
   */
  closeOldestIdle(): boolean {
    let oldest: UpstreamConn | H2UpstreamConn | null = null;
    for (const stack of this.idle.values()) {
      const c = stack[0]; // LIFO: the bottom is the oldest
      if (c !== undefined && (oldest === null || c.idleSince < oldest.idleSince)) oldest = c;
    }
    for (const list of this.h2.values()) {
      for (const c of list) if (c.load === 0 && c.state === ConnState.Open && (oldest === null || c.idleSince < oldest.idleSince)) oldest = c;
    }
    if (oldest === null) return false;
    if (oldest instanceof H2UpstreamConn) oldest.fail(new LbError("UPSTREAM_RESET", "closed to make room (max_connections)"));
    else oldest.destroy();
    return true;
  }

  /** True when requests of other workers of the node wait for this group's cap (its gauges are shared). */
  othersWaiting(): boolean {
    return this.limits.pending > this.waiters.length;
  }

  /** Queues a waiter; false (a `pending` overflow counted) when max_pending_requests are waiting. */
  enqueue(waiter: Waiter, onExpire: (g: ConnGroup) => void): boolean {
    const l = this.limits;
    if (!l.tryTake("pending")) {
      l.countOverflow("pending");
      return false;
    }
    this.waiters.push(waiter);
    if (this.timer === null) this.arm(onExpire);
    return true;
  }

  /** The oldest waiter, removed from the queue. */
  shift(): Waiter | undefined {
    const w = this.waiters.shift();
    if (w !== undefined) this.left();
    return w;
  }

  /** Takes `w` out of the queue (its request ended while waiting); found by identity. */
  cancel(w: object): void {
    const i = this.waiters.findIndex((x) => x.w === w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.left();
  }

  /** Fails every wait past its expiry; re-arms for the next. */
  expire(now: number, onExpire: (g: ConnGroup) => void): void {
    this.timer = null;
    const due = this.waiters.filter((x) => x.expires <= now);
    for (const x of due) {
      this.cancel(x.w);
      this.limits.countOverflow("pending_timeout");
      x.w.onUpstreamWaitFailed(new LbError("OVERFLOW", `no upstream connection free within ${x.connectTimeoutMs} ms (max_connections reached)`));
    }
    if (this.waiters.length > 0 && this.timer === null) this.arm(onExpire);
  }

  /** Stops the expiry timer (the pool is closing). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private left(): void {
    this.limits.release("pending");
    if (this.waiters.length === 0) this.stop();
  }

  private arm(onExpire: (g: ConnGroup) => void): void {
    let next = Infinity;
    for (const x of this.waiters) if (x.expires < next) next = x.expires;
    this.timer = setTimeout(() => onExpire(this), Math.max(1, next - Date.now()));
    this.timer.unref?.();
  }
}
