/**
 * An H2Output over a Bun socket for the test server: writes at once what the socket takes, keeps
 * the rest (socket.write returns the bytes it took, BUN-NOTES "Sockets") and flushes it on drain.
 */
import type { Socket } from "bun";
import type { H2Output } from "../../../src/h2/index.ts";

export class SocketOutput implements H2Output {
  private readonly q: Buffer[] = [];
  private ending = false;
  /** Bytes waiting for the socket. */
  queued = 0;

  constructor(private readonly socket: Socket<unknown>) {}

  write(buf: Buffer, start: number, end: number): boolean {
    if (this.q.length === 0) {
      const n = this.socket.write(buf, start, end - start);
      if (n >= end - start) return true;
      if (n > 0) start += n;
    }
    this.q.push(buf.subarray(start, end));
    this.queued += end - start;
    return false;
  }

  /** The socket drained: writes what waits; true once nothing does. */
  flush(): boolean {
    while (this.q.length > 0) {
      const b = this.q[0]!;
      const n = this.socket.write(b);
      if (n < b.length) {
        if (n > 0) {
          this.q[0] = b.subarray(n);
          this.queued -= n;
        }
        return false;
      }
      this.q.shift();
      this.queued -= b.length;
    }
    if (this.ending) this.socket.end();
    return true;
  }

  end(): void {
    this.ending = true;
    if (this.q.length === 0) this.socket.end();
  }
}
