/**
 * What every session of one listener shares: hooks, the upstream pool, limits and timeouts, a
 * coarse clock, and the single sweep timer that enforces deadlines (one timer per listener, not
 * one per connection): each session's wait deadline and its request's request_timeout_ms. The
 * sweep visits only the connections a deadline wheel holds due (deadline-wheel.ts), not them all.
 */
import { DEFAULT_LIMITS, type HttpLimits } from "../http/index.ts";
import { H2Counters, type H2Options } from "../h2/index.ts";
import type { ClientConn } from "./client-conn.ts";
import type { ProxyHooks } from "./hooks.ts";
import type { ProxyAcceptOptions } from "../net/index.ts";
import type { UpstreamPool } from "./upstream-pool.ts";
import { DeadlineWheel } from "./deadline-wheel.ts";

export interface ProxyTimeouts {
  /** TLS listeners: the handshake must complete within this after the connection opens; default 10 s. */
  handshakeMs: number;
  /** A request head must arrive within this after its first byte (slowloris); default 10 s. */
  headerMs: number;
  /** Keep-alive idle, and a stalled body in either direction; default 60 s. */
  idleMs: number;
  /** From the request fully sent to the response head; default 60 s. */
  responseMs: number;
}

/** How long a graceful stop lets idle keep-alive connections live (covers a request in flight on the wire). */
const IDLE_CLOSE_GRACE_MS = 250;

export const DEFAULT_TIMEOUTS: Readonly<ProxyTimeouts> = Object.freeze({ handshakeMs: 10_000, headerMs: 10_000, idleMs: 60_000, responseMs: 60_000 });

export class ServerCore {
  /** Coarse clock (ms), advanced by the sweep: deadlines are whole-second business. */
  now = Date.now();
  readonly sessions = new Set<ClientConn>();
  /** The sessions by when the sweep must next look at them (see ClientConn.nextDue). */
  readonly wheel: DeadlineWheel<ClientConn>;
  /** Plain listeners: a connection that opens with the HTTP/2 preface is h2c (prior knowledge). */
  h2c: boolean | "only" = false;
  /** HTTP/2 settings and protections of this listener's connections (counters shared by all). */
  h2: Partial<H2Options> & { counters: H2Counters } = { counters: new H2Counters() };
  /** Require a PROXY header (v1/v2) from every client, accepted from these peers only. */
  acceptProxy: ProxyAcceptOptions | undefined;
  /** Called for each connection closed because its TLS handshake did not finish within handshakeMs. */
  onHandshakeTimeout: (() => void) | undefined;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    readonly hooks: ProxyHooks<any>,
    readonly pool: UpstreamPool,
    readonly proto: string,
    readonly limits: HttpLimits = DEFAULT_LIMITS,
    readonly timeouts: ProxyTimeouts = DEFAULT_TIMEOUTS,
    readonly maxBodyBytes = Number.POSITIVE_INFINITY,
    sweepMs = 250,
  ) {
    this.wheel = new DeadlineWheel<ClientConn>(sweepMs, this.now);
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref?.();
  }

  private sweep(): void {
    if (this.onDrained !== null && this.sessions.size === 0) return this.finish();
    this.now = Date.now();
    this.wheel.sweep(this.now, this.visit);
  }

  private readonly visit = (c: ClientConn): void => {
    c.sweep(this.now);
    this.wheel.file(c, c.nextDue());
  };

  /** A connection opened (or took over from `replaced`, which leaves): it counts and its deadlines are kept. */
  add(c: ClientConn, replaced?: ClientConn): void {
    if (replaced !== undefined) this.remove(replaced);
    this.sessions.add(c);
    this.wheel.file(c, c.nextDue());
  }

  /** A connection closed (or was handed over): it no longer counts, nor is it swept. */
  remove(c: ClientConn): void {
    this.sessions.delete(c);
    this.wheel.retire(c);
  }

  /**
   * Stops the sweep. With `drained`, keeps enforcing timeouts on the remaining sessions and stops
   * (then calls `drained`) once the last one has closed: a graceful stop.
   */
  stop(drained?: () => void): void {
    if (drained === undefined || this.sessions.size === 0) return this.finish(drained);
    this.draining = true;
    this.onDrained = drained;
    for (const s of this.sessions) s.drain();
    // Idle keep-alive connections close after a short grace, not at once: a request a client sent
    // just before the stop is still on the wire, and closing under it would lose it. Requests that
    // arrive meanwhile are answered with `connection: close`.
    const idle = setTimeout(() => {
      for (const s of this.sessions) s.closeIfIdle();
    }, IDLE_CLOSE_GRACE_MS);
    idle.unref?.();
  }

  /** A graceful stop is in progress: every response in flight is the connection's last. */
  draining = false;

  private onDrained: (() => void) | null = null;

  private finish(drained = this.onDrained ?? undefined): void {
    clearInterval(this.sweeper);
    this.onDrained = null;
    drained?.();
  }
}
