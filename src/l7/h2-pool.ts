/**
 * The HTTP/2 side of the upstream pool: per group and backend key, a few multiplexed connections,
 * a new one opened only when those open are full (the backend's max_concurrent_streams), within
 * the group's max_connections (connections are what it counts; max_requests caps streams, per
 * request, in the breaker). Requests that find no stream slot wait in the group's FIFO queue with
 * the HTTP/1.1 ones. Idle connections are retired by the pool's sweep, which also ticks their codec.
 */
import { H2Counters, type H2Options } from "../h2/index.ts";
import type { ConnGroup, ConnWaiter, Waiter } from "./conn-group.ts";
import { H2Leg } from "./h2-leg.ts";
import { H2UpstreamConn, type H2ConnOwner } from "./h2-upstream-conn.ts";
import type { Upstream, UpstreamTls } from "./hooks.ts";
import { ConnState } from "./upstream-conn.ts";
import type { LegOwner } from "./upstream-leg.ts";

/** What the pool does for the HTTP/2 side: its options, and waking its queue. */
export interface H2PoolHost {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  register(g: ConnGroup): void;
  queuePump(g: ConnGroup): void;
}

/** Only exchanges (which are LegOwners) ever ask for HTTP/2 targets. */
type StreamWaiter = ConnWaiter & LegOwner;

export class H2Pool implements H2ConnOwner {
  /** What the pool's HTTP/2 connections saw (their codec counts here). */
  readonly counters = new H2Counters();
  private readonly opts: Partial<H2Options>;

  constructor(private readonly host: H2PoolHost) {
    this.opts = { counters: this.counters };
  }

  /** A stream on an open connection with room, or null (nothing opens; none while requests wait). */
  idleLeg(target: Upstream, waiter: ConnWaiter, key: string, group: ConnGroup): H2Leg | null {
    if (group.waiters.length > 0) return null;
    const c = this.withRoom(group, key, true);
    return c === null ? null : new H2Leg(c, waiter as StreamWaiter);
  }

  /** A stream for `waiter`: on a connection with room, else on a new one within max_connections, else queued (null). */
  claim(target: Upstream, waiter: ConnWaiter, timeoutMs: number, group: ConnGroup, key: string): H2Leg | null {
    if (group.waiters.length > 0) return null;
    return this.grant({ w: waiter, target, key, connectTimeoutMs: timeoutMs, expires: 0 }, group);
  }

  /** A stream for queued `head` if one can be had now (the pool's pump), else null. */
  grant(head: Waiter, group: ConnGroup): H2Leg | null {
    const t = head.target as Upstream;
    const c = this.roomFor(group, head.key, t.address, t.protocol === "h2" ? (t.tls ?? {}) : undefined, head.connectTimeoutMs);
    return c === null ? null : new H2Leg(c, head.w as StreamWaiter);
  }

  /** A connection with room for one more leg: one open (or opening), else a new one within max_connections. */
  private roomFor(group: ConnGroup, key: string, address: string, tls: UpstreamTls | undefined, timeoutMs: number, not?: H2UpstreamConn): H2UpstreamConn | null {
    const c = this.withRoom(group, key, false, not);
    if (c !== null || !group.reserve()) return c;
    return this.connect(address, tls, key, group, timeoutMs);
  }

  private withRoom(group: ConnGroup, key: string, openOnly: boolean, not?: H2UpstreamConn): H2UpstreamConn | null {
    const list = group.h2.get(key);
    if (list === undefined) return null;
    for (const c of list) {
      if (c !== not && c.capacity > 0 && (!openOnly || c.state === ConnState.Open)) return c;
    }
    return null;
  }

  /** Moves the legs parked on `conn` beyond its slots to connections with room (those that find none stay). */
  rehome(conn: H2UpstreamConn): void {
    const g = conn.group;
    for (const leg of conn.unpark()) {
      const to = this.roomFor(g, conn.key, conn.address, conn.tls, 0, conn) ?? conn;
      to.load++;
      leg.conn = to;
      if (to === conn) to.parked.push(leg);
      else to.place(leg);
    }
  }

  /** Opens a connection whose unit of max_connections is taken already (ConnGroup.reserve). */
  private connect(address: string, tls: UpstreamTls | undefined, key: string, group: ConnGroup, timeoutMs: number): H2UpstreamConn {
    this.host.register(group);
    const c = new H2UpstreamConn(address, key, tls, group, this, this.opts, timeoutMs || this.host.connectTimeoutMs);
    let list = group.h2.get(key);
    if (list === undefined) group.h2.set(key, (list = []));
    list.push(c);
    return c;
  }

  closedH2(conn: H2UpstreamConn): void {
    const g = conn.group;
    g.limits.release("connections");
    const list = g.h2.get(conn.key);
    const i = list === undefined ? -1 : list.indexOf(conn);
    if (i >= 0) list!.splice(i, 1);
    if (list !== undefined && list.length === 0) g.h2.delete(conn.key);
    if (g.waiters.length > 0) this.host.queuePump(g);
  }

  streamFreed(conn: H2UpstreamConn): void {
    if (conn.group.waiters.length > 0) this.host.queuePump(conn.group);
  }

  /** Ticks every connection's codec and retires those idle past the idle timeout. */
  sweep(group: ConnGroup, now: number): void {
    const cutoff = now - this.host.idleTimeoutMs;
    for (const list of group.h2.values()) {
      for (const c of [...list]) {
        if (c.load === 0 && c.state !== ConnState.Connecting && c.idleSince < cutoff) c.retire();
        else c.h2.tick(now);
      }
    }
  }

  /** Retires every connection of `group` (the pool is closing). */
  close(group: ConnGroup): void {
    for (const list of group.h2.values()) for (const c of [...list]) c.retire();
  }
}
