/**
 * Per-backend keep-alive connection pool over Bun.connect, the way HAProxy and Pingora reuse
 * upstream connections: a connection goes back only after its response was read to the end and
 * both sides wanted keep-alive. Idle connections are LIFO (the warmest first), capped per backend
 * and closed after an idle timeout by one sweep timer. Connections belong to a ConnGroup (a pool's
 * circuit breaker, conn-group.ts): `claim` keeps a group under max_connections, queueing requests.
 * Targets that speak HTTP/2 get a stream of a multiplexed connection instead (h2-pool.ts).
 */
import type { Socket } from "bun";
import { LbError } from "../errors.ts";
import type { Upstream } from "./hooks.ts";
import { DEFAULT_LIMITS, type HttpLimits } from "../http/index.ts";
import { ConnState, UpstreamConn, type ConnOwner, type UpstreamHandler } from "./upstream-conn.ts";
import { ConnGroup, unlimited, type ConnWaiter } from "./conn-group.ts";
import { dial, poolKey } from "./upstream-dial.ts";
import { H2Pool } from "./h2-pool.ts";
import type { UpstreamLeg } from "./upstream-leg.ts";

/** A target the pool reaches over HTTP/2. */
function isH2(t: string | Upstream): t is Upstream {
  return typeof t !== "string" && t.protocol !== undefined;
}

export { poolKey, splitAddress } from "./upstream-dial.ts";

export interface PoolOptions {
  /**
   * Idle connections kept per backend (default 1024, a pool's max_connections default): HTTP/2
   * clients put hundreds of requests in flight at once, and a smaller cap closed connections after
   * each burst only to open them again for the next (churn that halved throughput, measured).
   */
  maxIdlePerBackend: number;
  /** Idle connections older than this are closed (default 60 s). */
  idleTimeoutMs: number;
  /** Connect attempts slower than this fail with UPSTREAM_TIMEOUT (default 5 s). */
  connectTimeoutMs: number;
  limits: HttpLimits;
}

export const DEFAULT_POOL_OPTIONS: Readonly<PoolOptions> = Object.freeze({
  maxIdlePerBackend: 1024, idleTimeoutMs: 60_000, connectTimeoutMs: 5_000, limits: DEFAULT_LIMITS,
});

export class UpstreamPool implements ConnOwner {
  readonly options: PoolOptions;
  /** The group of callers that name none: no caps. */
  readonly shared = new ConnGroup(unlimited());
  /** Groups with idle connections to sweep (registered on first use). */
  private readonly groups = new Set<ConnGroup>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** Coarse clock (ms) advanced by the sweep: idle ages need no precision, the hot path no clock call. */
  private now = Date.now();
  /** Connections opened since start (for tests and metrics). */
  opened = 0;
  private readonly expireGroup = (g: ConnGroup) => g.expire(Date.now(), this.expireGroup);
  /** The HTTP/2 connections (h2 and h2c targets). */
  readonly h2: H2Pool;

  constructor(options: Partial<PoolOptions> = {}) {
    this.options = { ...DEFAULT_POOL_OPTIONS, ...options };
    const o = this.options;
    this.h2 = new H2Pool({
      connectTimeoutMs: o.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      register: (g) => this.register(g),
      queuePump: (g) => this.queuePump(g),
    });
    const every = Math.max(250, Math.min(5_000, this.options.idleTimeoutMs / 2));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref?.();
    this.register(this.shared);
  }

  /**
   * A connection to `address` for `handler`: an idle one when available, else a new one that
   * queues writes until it opens (connect timeout: `connectTimeoutMs`, 0 = the pool's). Always
   * synchronous; failures arrive as handler.onUpstreamClose. Ignores the group's caps (see `claim`).
   */
  acquire(target: string | Upstream, handler: UpstreamHandler, connectTimeoutMs = 0, group = this.shared): UpstreamConn {
    return this.idleConn(target, handler, group) ?? this.connect(target, handler, connectTimeoutMs, group, poolKey(target), false);
  }

  /**
   * An idle open connection to `target` for `waiter` (for an HTTP/2 target: a stream of an open
   * connection with room), or null (nothing is opened; none while requests wait).
   */
  acquireIdle(target: string | Upstream, waiter: ConnWaiter, group = this.shared): UpstreamLeg | null {
    if (isH2(target)) return this.h2.idleLeg(target, waiter, poolKey(target), group);
    return this.idleConn(target, waiter, group);
  }

  private idleConn(target: string | Upstream, handler: UpstreamHandler, group: ConnGroup): UpstreamConn | null {
    if (group.waiters.length > 0) return null; // FIFO: those waiting come first
    const c = group.popIdle(poolKey(target));
    if (c !== null) c.assign(handler);
    return c;
  }

  /**
   * A connection for `waiter` within `group`'s caps: an idle one, else a new one while under
   * max_connections (closing an idle one to another backend to make room), else null: the waiter
   * is queued and later hears onUpstreamGranted or onUpstreamWaitFailed (after its connect timeout).
   * With max_pending_requests already waiting: an OVERFLOW error, nothing queued.
   */
  claim(target: string | Upstream, waiter: ConnWaiter, connectTimeoutMs: number, group: ConnGroup): UpstreamLeg | LbError | null {
    const key = poolKey(target);
    if (isH2(target)) {
      const leg = this.h2.claim(target, waiter, connectTimeoutMs, group, key);
      if (leg !== null) return leg;
    } else if (group.waiters.length === 0) {
      const c = group.popIdle(key);
      if (c !== null) {
        c.assign(waiter);
        return c;
      }
      if (group.reserve()) return this.connect(target, waiter, connectTimeoutMs, group, key, true);
    }
    group.limits.countOverflow("connections");
    const timeout = connectTimeoutMs || this.options.connectTimeoutMs;
    if (!group.enqueue({ w: waiter, target, key, connectTimeoutMs: timeout, expires: Date.now() + timeout }, this.expireGroup)) {
      return new LbError("OVERFLOW", "the pool is at max_connections and max_pending_requests are waiting");
    }
    this.register(group);
    return null;
  }

  /** Gives a connection back: kept idle when `reusable` (or handed to a waiting request), else closed. */
  release(conn: UpstreamConn, reusable: boolean): void {
    conn.handler = null;
    if (!reusable || conn.state !== ConnState.Open || conn.writer.queued > 0) return conn.destroy();
    const g = conn.group;
    if (!g.registered) this.register(g);
    let stack = g.idle.get(conn.key);
    if (stack === undefined) g.idle.set(conn.key, (stack = []));
    // Requests of other workers wait for the pool's max_connections: free this one for them.
    if (stack.length >= this.options.maxIdlePerBackend || (g.waiters.length === 0 && g.othersWaiting())) return conn.destroy();
    conn.idleSince = this.now;
    conn.resume();
    conn.pooled = true;
    stack.push(conn);
    if (g.waiters.length > 0) this.queuePump(g);
  }

  /**
   * Lets go of a connection whose exchange failed: if not one byte of that exchange reached the
   * backend (it failed inside the packet that started it) the connection goes back clean; a
   * connection holding part of a request is closed, never reused.
   */
  abandon(conn: UpstreamConn): void {
    if (!conn.untouched || conn.received > 0) return conn.destroy();
    conn.writer.discard();
    conn.writer.uncork();
    this.release(conn, true);
  }

  /** Idle connections currently held for `target` (in `group`). */
  idleCount(target: string | Upstream, group = this.shared): number {
    return group.idle.get(poolKey(target))?.length ?? 0;
  }

  /** A connection closed: its slot frees (a waiting request may open one) and it leaves the idle stack. */
  closed(conn: UpstreamConn): void {
    const g = conn.group;
    g.limits.release("connections");
    if (conn.pooled) {
      conn.pooled = false;
      const stack = g.idle.get(conn.key);
      const i = stack === undefined ? -1 : stack.indexOf(conn);
      if (i >= 0) stack!.splice(i, 1);
    }
    if (g.waiters.length > 0) this.queuePump(g);
  }

  /**
   * Another worker of the node changed a shared cap's gauges (a request started waiting, or a
   * connection closed while some wait): hands freed units to this worker's waiting requests, and
   * closes idle connections that other workers' waiting requests need more.
   */
  poke(): void {
    for (const g of this.groups) {
      if (g.waiters.length > 0) this.queuePump(g);
      else if (g.othersWaiting()) g.closeOldestIdle();
    }
  }

  /** Closes every idle connection and stops the timers. */
  close(): void {
    clearInterval(this.sweeper);
    for (const g of this.groups) {
      g.stop();
      for (const stack of g.idle.values()) for (const c of stack.splice(0)) c.destroy();
      this.h2.close(g);
    }
  }

  /**
   * Grants freed connections to waiting requests, oldest first, in a microtask: never inside the
   * release or close that freed them (that exchange is still unwinding).
   */
  private queuePump(g: ConnGroup): void {
    if (g.pumpQueued) return;
    g.pumpQueued = true;
    queueMicrotask(() => this.pump(g));
  }

  private pump(g: ConnGroup): void {
    g.pumpQueued = false;
    while (g.waiters.length > 0) {
      const head = g.waiters[0]!;
      if (isH2(head.target)) {
        const leg = this.h2.grant(head, g);
        if (leg === null) return;
        g.shift();
        head.w.onUpstreamGranted(leg);
        continue;
      }
      let conn = g.popIdle(head.key);
      if (conn === null && !g.reserve()) return;
      g.shift();
      if (conn !== null) conn.assign(head.w);
      else conn = this.connect(head.target, head.w, head.connectTimeoutMs, g, head.key, true);
      head.w.onUpstreamGranted(conn);
    }
  }

  private register(g: ConnGroup): void {
    if (g.registered) return;
    g.registered = true;
    this.groups.add(g);
  }

  /** Opens a connection; `reserved`: its unit of max_connections is already taken (reserve()). */
  private connect(t: string | Upstream, handler: UpstreamHandler, timeoutMs: number, group: ConnGroup, key: string, reserved: boolean): UpstreamConn {
    const conn = new UpstreamConn(typeof t === "string" ? t : t.address, key, handler, this.options.limits, this, group);
    this.register(group);
    if (!reserved) group.limits.take("connections");
    this.opened++;
    dial(conn, typeof t === "string" ? undefined : t.tls, timeoutMs || this.options.connectTimeoutMs);
    return conn;
  }

  private sweep(): void {
    const cutoff = (this.now = Date.now()) - this.options.idleTimeoutMs;
    for (const g of this.groups) {
      if (g.h2.size > 0) this.h2.sweep(g, this.now);
      for (const [key, stack] of g.idle) {
        // LIFO: the oldest are at the bottom
        let n = 0;
        while (n < stack.length && stack[n]!.idleSince < cutoff) n++;
        for (const c of stack.splice(0, n)) {
          c.pooled = false;
          c.destroy();
        }
        if (stack.length === 0) g.idle.delete(key);
      }
      // Caps raised by a config change take effect for those already waiting, too.
      if (g.waiters.length > 0) this.queuePump(g);
      // A group of a removed pool is forgotten once it holds nothing (it registers again if used).
      if (g !== this.shared && g.idle.size === 0 && g.h2.size === 0 && g.waiters.length === 0) {
        g.registered = false;
        this.groups.delete(g);
      }
    }
  }
}

export type { Socket };
