/**
 * An HTTP/2 connection's output batched per event-loop turn: frames written while a turn runs are
 * held (corked) and leave in one write at its end (setImmediate runs after the turn's I/O
 * callbacks), so responses to many streams that complete in the same turn, one backend socket each,
 * cost the client one syscall instead of one each (the way nginx and HAProxy flush per loop).
 */
import type { H2Output } from "../h2/index.ts";
import type { SocketWriter } from "./writer.ts";

export class TickOutput implements H2Output {
  private scheduled = false;
  private readonly flushTurn = () => {
    this.scheduled = false;
    this.writer.uncork();
  };

  constructor(private readonly writer: SocketWriter) {}

  write(buf: Buffer, start: number, end: number): boolean {
    if (!this.scheduled) {
      this.scheduled = true;
      this.writer.cork();
      setImmediate(this.flushTurn);
    }
    return this.writer.write(buf, start, end);
  }

  end(): void {
    this.writer.uncork();
    this.writer.end();
  }
}
