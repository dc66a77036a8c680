/**
 * Per-backend keep-alive connection pool over Bun.connect, the way HAProxy and Pingora reuse
 * upstream connections: a connection goes back only after its response was read to the end and
 * both sides wanted keep-alive. Idle connections are LIFO (the warmest first), capped per backend
 * and closed after an idle timeout by one sweep timer.
 */
import type { Socket, SocketHandler } from "bun";
import { LbError } from "../errors.ts";
import type { Upstream } from "./hooks.ts";
import { DEFAULT_LIMITS, type HttpLimits } from "./http/index.ts";
import { ConnState, UpstreamConn, type ConnOwner, type UpstreamHandler } from "./upstream-conn.ts";

export interface PoolOptions {
  /** Idle connections kept per backend (default 128). */
  maxIdlePerBackend: number;
  /** Idle connections older than this are closed (default 60 s). */
  idleTimeoutMs: number;
  /** Connect attempts slower than this fail with UPSTREAM_TIMEOUT (default 5 s). */
  connectTimeoutMs: number;
  limits: HttpLimits;
}

export const DEFAULT_POOL_OPTIONS: Readonly<PoolOptions> = Object.freeze({
  maxIdlePerBackend: 128, idleTimeoutMs: 60_000, connectTimeoutMs: 5_000, limits: DEFAULT_LIMITS,
});

/** One shared handler object for every upstream socket: no closures per connection. */
const HANDLERS: SocketHandler<UpstreamConn> = {
  open: (s) => s.data.onOpen(s),
  data: (s, d) => s.data.onData(d as Buffer),
  drain: (s) => s.data.writer.flush(),
  end: (s) => s.data.onClosed(),
  close: (s, err) => s.data.onClosed(err),
  error: (s, err) => s.data.onClosed(err),
  connectError: (s, err) => s.data.fail(connectFailed(s.data.address, err)),
};

function connectFailed(address: string, cause: unknown): LbError {
  return new LbError("UPSTREAM_CONNECT_FAILED", `cannot connect to ${address}`, { retryable: true, cause });
}

/** Connections are shared per address, and per TLS server name when TLS is on. */
export function poolKey(t: string | Upstream): string {
  return typeof t === "string" ? t : t.tls ? `${t.address}|tls|${t.tls.serverName ?? ""}` : t.address;
}

/** "host:port" or "[v6]:port" → hostname and port. */
export function splitAddress(address: string): { hostname: string; port: number } {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LbError("CONFIG_INVALID", `bad backend address ${address}`);
  }
  return { hostname: host.startsWith("[") ? host.slice(1, -1) : host, port };
}

export class UpstreamPool implements ConnOwner {
  readonly options: PoolOptions;
  private readonly idle = new Map<string, UpstreamConn[]>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** Coarse clock (ms) advanced by the sweep: idle ages need no precision, the hot path no clock call. */
  private now = Date.now();
  /** Connections opened since start (for tests and metrics). */
  opened = 0;

  constructor(options: Partial<PoolOptions> = {}) {
    this.options = { ...DEFAULT_POOL_OPTIONS, ...options };
    const every = Math.max(250, Math.min(5_000, this.options.idleTimeoutMs / 2));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref?.();
  }

  /**
   * A connection to `address` for `handler`: an idle one when available, else a new one that
   * queues writes until it opens (connect timeout: `connectTimeoutMs`, 0 = the pool's). Always
   * synchronous; failures arrive as handler.onUpstreamClose.
   */
  acquire(target: string | Upstream, handler: UpstreamHandler, connectTimeoutMs = 0): UpstreamConn {
    return this.acquireIdle(target, handler) ?? this.connect(target, handler, connectTimeoutMs || this.options.connectTimeoutMs);
  }

  /** An idle open connection to `target` for `handler`, or null (nothing is opened). */
  acquireIdle(target: string | Upstream, handler: UpstreamHandler): UpstreamConn | null {
    const stack = this.idle.get(poolKey(target));
    while (stack !== undefined && stack.length > 0) {
      const c = stack.pop()!;
      if (c.state !== ConnState.Open) continue;
      c.assign(handler);
      return c;
    }
    return null;
  }

  /** Gives a connection back: kept idle when `reusable`, else closed. */
  release(conn: UpstreamConn, reusable: boolean): void {
    conn.handler = null;
    if (!reusable || conn.state !== ConnState.Open || conn.writer.queued > 0) return conn.destroy();
    let stack = this.idle.get(conn.key);
    if (stack === undefined) this.idle.set(conn.key, (stack = []));
    if (stack.length >= this.options.maxIdlePerBackend) return conn.destroy();
    conn.idleSince = this.now;
    conn.resume();
    stack.push(conn);
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

  /** Idle connections currently held for `target`. */
  idleCount(target: string | Upstream): number {
    return this.idle.get(poolKey(target))?.length ?? 0;
  }

  dropIdle(conn: UpstreamConn): void {
    const stack = this.idle.get(conn.key);
    const i = stack === undefined ? -1 : stack.indexOf(conn);
    if (i >= 0) stack!.splice(i, 1);
  }

  /** Closes every idle connection and stops the sweep timer. */
  close(): void {
    clearInterval(this.sweeper);
    for (const stack of this.idle.values()) for (const c of stack.splice(0)) c.destroy();
  }

  private connect(t: string | Upstream, handler: UpstreamHandler, timeoutMs: number): UpstreamConn {
    const address = typeof t === "string" ? t : t.address, tls = typeof t === "string" ? undefined : t.tls;
    const conn = new UpstreamConn(address, poolKey(t), handler, this.options.limits, this);
    this.opened++;
    let target: { hostname: string; port: number };
    try {
      target = splitAddress(address);
    } catch (e) {
      queueMicrotask(() => conn.fail(e as LbError));
      return conn;
    }
    conn.timer = setTimeout(() => {
      conn.fail(new LbError("UPSTREAM_TIMEOUT", `connect to ${address} timed out`, { retryable: true }));
    }, timeoutMs);
    const tlsOptions = tls && { serverName: tls.serverName ?? target.hostname, ca: tls.ca, rejectUnauthorized: tls.verify !== false };
    Bun.connect<UpstreamConn>({ ...target, data: conn, socket: HANDLERS, ...(tlsOptions ? { tls: tlsOptions } : {}) }).catch((err: unknown) => {
      if (conn.state === ConnState.Connecting) conn.fail(connectFailed(address, err));
    });
    return conn;
  }

  private sweep(): void {
    const cutoff = (this.now = Date.now()) - this.options.idleTimeoutMs;
    for (const stack of this.idle.values()) {
      // LIFO: the oldest are at the bottom
      let n = 0;
      while (n < stack.length && stack[n]!.idleSince < cutoff) n++;
      for (const c of stack.splice(0, n)) c.destroy();
    }
  }
}

export type { Socket };
