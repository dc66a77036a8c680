/**
 * One client connection of a listener, whatever it speaks: an HTTP/1.1 Session, or an H2Session
 * it hands over to (ALPN h2, or an h2c preface). The listener's socket handlers and its sweep
 * (server-core.ts) see only this.
 */
import type { Socket } from "bun";
import type { Wheeled } from "./deadline-wheel.ts";

/** Kept in its listener's deadline wheel (server-core.ts) through the Wheeled links. */
export interface ClientConn extends Wheeled {
  readonly socket: Socket<ClientConn>;
  onData(buf: Buffer): void;
  /** The socket can take more. */
  onDrain(): void;
  /** The client sent FIN. */
  onClientEnd(): void;
  onSocketClosed(): void;
  /** TLS: the handshake finished (the ALPN outcome is known). */
  handshakeDone(): void;
  /** The listener's sweep (every 250 ms) with its coarse clock, when nextDue came: deadlines and housekeeping. */
  sweep(now: number): void;
  /**
   * When the sweep must next look at it (ms, server clock): its earliest deadline, or `now` for
   * every sweep; 0 = none. A deadline brought earlier than the one filed must be filed at once
   * (`server.wheel.file`); one pushed later needs nothing (the sweep re-files it).
   */
  nextDue(): number;
  /** A graceful stop began: finish what is in flight, take nothing new. */
  drain(): void;
  /** The stop's grace passed: close at once unless a request is in flight. */
  closeIfIdle(): void;
}
