/**
 * A client connection's bytes read past a complete request (pipelined requests, or bytes sent
 * after an upgrade request), kept unparsed until the exchange ahead of them is over, and the read
 * pause that bounds them: above MAX_PENDING kept bytes the socket is not read until they are used.
 */
import type { Socket } from "bun";

/** Above this many unparsed pipelined bytes, stop reading from the client until they are used. */
const MAX_PENDING = 64 * 1024;

export class HeldInput {
  /** The kept bytes, in arrival order; null = none. */
  bytes: Buffer | null = null;
  private paused = false;

  constructor(private readonly socket: Socket<unknown>) {}

  /** Keeps `buf` from `pos` on, after what is kept already. */
  keep(buf: Buffer, pos: number): void {
    const rest = pos === 0 ? buf : buf.subarray(pos);
    this.bytes = this.bytes === null ? rest : Buffer.concat([this.bytes, rest]);
    if (this.bytes.length > MAX_PENDING) this.pause();
  }

  /** The kept bytes, no longer kept. */
  take(): Buffer | null {
    const b = this.bytes;
    this.bytes = null;
    return b;
  }

  pause(): void {
    if (!this.paused) this.socket.pause();
    this.paused = true;
  }

  /** Reads again, unless too much is still kept. */
  resume(): void {
    if (this.paused && (this.bytes === null || this.bytes.length <= MAX_PENDING)) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
