/**
 * One client connection of a listener, whatever it speaks: an HTTP/1.1 Session, or an H2Session
 * it hands over to (ALPN h2, or an h2c preface). The listener's socket handlers and its sweep
 * (server-core.ts) see only this.
 */
import type { Socket } from "bun";

export interface ClientConn {
  readonly socket: Socket<ClientConn>;
  onData(buf: Buffer): void;
  /** The socket can take more. */
  onDrain(): void;
  /** The client sent FIN. */
  onClientEnd(): void;
  onSocketClosed(): void;
  /** TLS: the handshake finished (the ALPN outcome is known). */
  handshakeDone(): void;
  /** The listener's sweep (every 250 ms) with its coarse clock: deadlines and housekeeping. */
  sweep(now: number): void;
  /** A graceful stop began: finish what is in flight, take nothing new. */
  drain(): void;
  /** The stop's grace passed: close at once unless a request is in flight. */
  closeIfIdle(): void;
}
