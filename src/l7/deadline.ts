/**
 * A session's single deadline and what it means, so timeouts cost one number per connection and
 * one sweep per listener (server-core.ts) instead of a timer each. Times come from the coarse
 * `server.now`: timeouts are whole-second business. Every deadline set goes through `armed`, where
 * a connection files itself in the listener's deadline wheel when it comes earlier.
 */
import type { ServerCore } from "./server-core.ts";

/** What the deadline means when it passes. */
export const enum Wait { Idle, Header, Response, Transfer, Handshake }

export class Deadline {
  /** When the current wait expires (ms, server clock); 0 = none. */
  deadline: number;
  wait = Wait.Header;
  /** When the current request's request_timeout_ms passes (ms, Date clock); 0 = none. */
  requestDeadline = 0;
  /** The current request's idle_timeout_ms (route or pool) while it streams; 0 = the listener's. */
  streamIdleMs = 0;
  /** When a request head that is still incomplete began (ms, Date clock); 0 = none. */
  private headStart = 0;

  constructor(readonly server: ServerCore) {
    this.deadline = server.now + server.timeouts.headerMs;
  }

  /** The earlier of the two deadlines (0 = none): when the sweep must next look (ClientConn.nextDue). */
  nextDue(): number {
    const d = this.deadline, r = this.requestDeadline;
    return d === 0 || (r !== 0 && r < d) ? r : d;
  }

  /** The sweep: whichever deadline passed fires, once; its handler sets the next if the connection lives on. */
  sweep(now: number): void {
    if (this.requestDeadline !== 0 && now > this.requestDeadline) {
      this.requestDeadline = 0;
      return this.onRequestDeadline();
    }
    if (this.deadline === 0 || now <= this.deadline) return;
    this.deadline = 0;
    this.onDeadline();
  }

  /** The request's request_timeout_ms passed. */
  protected onRequestDeadline(): void {}

  /** The wait's deadline passed (what it meant is `wait`). */
  protected onDeadline(): void {}

  /** A deadline was set to `at` (the wait's or the request's): a connection keeps its wheel place current. */
  protected armed(_at: number): void {}

  /** Sets the wait's deadline. */
  protected setDeadline(at: number): void {
    this.deadline = at;
    this.armed(at);
  }

  /** The request's request_timeout_ms passes at `at` (Date clock). */
  requestBy(at: number): void {
    this.requestDeadline = at;
    this.armed(at);
  }

  /** A TLS connection just opened: its handshake must finish first (then handshakeDone). */
  awaitHandshake(): void {
    this.wait = Wait.Handshake;
    this.setDeadline(this.server.now + this.server.timeouts.handshakeMs);
  }

  /** The TLS handshake finished: the first request head's time starts now, as on a plain connection. */
  handshakeDone(): void {
    if (this.wait !== Wait.Handshake) return;
    this.wait = Wait.Header;
    this.setDeadline(this.server.now + this.server.timeouts.headerMs);
  }

  /** Request fully sent upstream: the response-header timeout runs (`ms` 0 = the listener's). */
  awaitResponse(ms = 0): void {
    this.wait = Wait.Response;
    this.setDeadline(this.server.now + (ms > 0 ? ms : this.server.timeouts.responseMs));
  }

  /** Bodies flowing: from now on only stalls time out. */
  streaming(): void {
    this.wait = Wait.Transfer;
    this.touch();
  }

  /** Activity while streaming: pushes the idle deadline. */
  touch(): void {
    if (this.wait === Wait.Transfer) this.setDeadline(this.server.now + (this.streamIdleMs > 0 ? this.streamIdleMs : this.server.timeouts.idleMs));
  }

  /** Between requests: the header timeout once a head has started (not reset by its bytes), else idle. */
  idleOrHeader(midHead: boolean): void {
    this.streamIdleMs = 0; // between requests the listener's timeouts rule
    if (midHead) {
      // a head split across packets: its first byte came now-ish (the clock read only on this slow path)
      if (this.headStart === 0) this.headStart = Date.now();
      if (this.wait !== Wait.Header) this.setDeadline(this.server.now + this.server.timeouts.headerMs);
      this.wait = Wait.Header;
    } else {
      this.wait = Wait.Idle;
      this.setDeadline(this.server.now + this.server.timeouts.idleMs);
    }
  }

  /** When the head just parsed began if it spanned packets (else 0: it began in this packet); resets. */
  takeHeadStart(): number {
    const t = this.headStart;
    this.headStart = 0;
    return t;
  }
}
