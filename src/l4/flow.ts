/**
 * One direction of a relay with backpressure: bytes read from `src` are written to `sink`. A
 * partial write (Bun's `write` returns what the kernel took) queues the rest and pauses `src`;
 * the sink's drain flushes the queue and resumes `src`. So at most a few chunks per direction are
 * ever held, however slow the reader. A FIN from `src` becomes a FIN to the sink once the queue is
 * empty: `sink.shutdown()`, because Bun's `end()` closes both directions (measured on 1.4.4: a
 * peer's data still in flight is lost), even with allowHalfOpen.
 */
import type { Socket } from "bun";

/** The socket operations a flow needs (both Bun.listen and Bun.connect sockets have them). */
export type FlowSocket = Pick<Socket<unknown>, "write" | "end" | "shutdown" | "pause" | "resume">;

export class Flow {
  private queue: Uint8Array[] = [];
  /** Bytes waiting for the sink. */
  queued = 0;
  /** The source has finished (FIN or close); nothing more will be pushed. */
  eof = false;
  /** We have ended the sink's write side. */
  ended = false;

  constructor(private readonly src: FlowSocket, private readonly sink: FlowSocket) {}

  /** Forwards a chunk read from the source; returns how many bytes went out at once. */
  push(chunk: Uint8Array): number {
    if (this.ended) return 0; // the sink is gone; what its peer still sends is dropped
    if (this.queued > 0) {
      this.enqueue(chunk);
      return 0;
    }
    const n = Math.max(this.sink.write(chunk), 0);
    if (n < chunk.length) this.enqueue(n === 0 ? chunk : chunk.subarray(n));
    return n;
  }

  private enqueue(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.src.pause();
  }

  /** The sink can take more: flush, then resume the source (or end the sink after a FIN). */
  drain(): void {
    while (this.queue.length > 0) {
      const c = this.queue[0]!;
      const n = Math.max(this.sink.write(c), 0);
      this.queued -= n;
      if (n < c.length) {
        this.queue[0] = c.subarray(n);
        return;
      }
      this.queue.shift();
    }
    if (this.eof) this.shutdownSink();
    else this.src.resume();
  }

  /** The source sent its FIN: pass it on once everything before it is written. */
  finish(): void {
    this.eof = true;
    if (this.queued === 0) this.shutdownSink();
  }

  /**
   * Closes the sink now, dropping anything still queued (the source side died, or timed out).
   * The source is resumed so its own FIN or close is still seen; what it sends is dropped.
   */
  abort(): void {
    this.eof = true;
    this.queue = [];
    this.queued = 0;
    this.ended = true;
    this.sink.end();
    this.src.resume();
  }

  private shutdownSink(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.shutdown();
  }
}
