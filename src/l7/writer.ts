/**
 * Writes to a Bun socket with backpressure. `socket.write` returns the bytes it took (BUN-NOTES
 * "Sockets"); the rest is queued here (as ranges, see range-queue.ts) and flushed on `drain`.
 * `write` returning false tells the caller to pause its source until `onWriterDrained`.
 */
import type { Socket } from "bun";
import { RangeQueue, type ByteSink } from "./range-queue.ts";

type Latin1Writer = Buffer & { latin1Write(s: string, offset: number): number };

/** Told when a writer that asked its source to pause has fully flushed. */
export interface WriterOwner {
  onWriterDrained(): void;
}

/** Corked bytes beyond this make `write` ask the caller to pause. */
const CORK_LIMIT = 256 * 1024;
/** Several queued ranges are gathered here for one write (single-threaded: shared is safe). */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

export class SocketWriter implements ByteSink {
  socket: Socket<unknown> | null = null;
  private readonly q = new RangeQueue();
  private endWhenFlushed = false;
  private corked = false;
  /** A write returned false: the owner hears about the drain. */
  private blocked = false;

  constructor(private readonly owner: WriterOwner) {}

  /** Bytes the socket has taken so far (tells whether anything of an exchange reached the peer). */
  sent = 0;

  /** Bytes queued and not yet taken by the socket. */
  get queued(): number {
    return this.q.bytes;
  }

  /** Starts writing to `socket` (e.g. once an upstream connection opens), flushing what was queued. */
  attach(socket: Socket<unknown>): void {
    this.socket = socket;
    if (this.q.bytes > 0) this.flush();
    else if (this.endWhenFlushed) socket.end();
  }

  write(buf: Buffer, start = 0, end = buf.length): boolean {
    if (end <= start) return true;
    if (this.q.bytes === 0 && this.socket !== null && !this.corked) {
      const n = this.socket.write(buf, start, end - start);
      if (n > 0) this.sent += n;
      if (n >= end - start) return true;
      if (n > 0) start += n;
    }
    this.q.write(buf, start, end);
    return this.afterQueue();
  }

  writeString(s: string): boolean {
    if (this.corked || this.q.bytes > 0 || this.socket === null || s.length > SCRATCH.length) {
      this.q.writeString(s);
      return this.afterQueue();
    }
    // encoded into the shared scratch, not a new Buffer per string (one char is one byte in latin1)
    const len = (SCRATCH as Latin1Writer).latin1Write(s, 0);
    const n = Math.max(0, this.socket.write(SCRATCH, 0, len));
    this.sent += n;
    if (n >= len) return true;
    this.q.writeString(s.slice(n));
    return this.afterQueue();
  }

  private afterQueue(): boolean {
    if (this.corked && this.socket !== null && this.q.bytes <= CORK_LIMIT) return true;
    this.blocked = true;
    return false;
  }

  /**
   * Holds writes until `uncork`, so what one incoming packet produces leaves in one write (one
   * syscall), and is never sent at all when the exchange fails before the packet is done.
   */
  cork(): void {
    this.corked = true;
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    if (this.socket !== null && this.pump()) this.drained();
  }

  /** Called on the socket's `drain`: writes what is queued; tells the owner once empty. */
  flush(): void {
    if (this.socket !== null && !this.corked && this.pump()) this.drained();
  }

  private drained(): void {
    if (this.endWhenFlushed) this.socket!.end();
    else if (this.blocked) {
      this.blocked = false;
      this.owner.onWriterDrained();
    }
  }

  /** Writes queued bytes until the socket is full; true when the queue is empty. */
  private pump(): boolean {
    const s = this.socket!, q = this.q;
    while (q.length > 0) {
      if (q.length > 1) {
        // gather: one syscall for head + body + added fields; with a body too long for the scratch,
        // one for the pieces before it (not one per piece) and the body from its own buffer
        const all = q.bytes <= SCRATCH.length;
        const total = all ? q.copyTo(SCRATCH) : q.copyFrontTo(SCRATCH);
        if (total > 0) {
          const n = Math.max(0, s.write(SCRATCH, 0, total));
          this.sent += n;
          if (all && n >= total) {
            q.clear();
            return true;
          }
          // the rest stays as ranges of the buffers it came in: no copy (up to 64 KiB) per partial write
          q.consume(n);
          if (n < total) return false;
          continue;
        }
      }
      let b = q.bufs[0]!;
      if (typeof b === "string") q.bufs[0] = b = Buffer.from(b, "latin1");
      const start = q.starts[0]!, len = q.ends[0]! - start;
      const n = s.write(b, start, len);
      if (n > 0) this.sent += n;
      if (n < len) {
        if (n > 0) {
          q.starts[0] = start + n;
          q.bytes -= n;
        }
        return false;
      }
      q.shift();
    }
    return true;
  }

  /** Half-closes the socket once everything queued has been written. */
  end(): void {
    if (this.q.bytes === 0 && this.socket !== null && !this.corked) this.socket.end();
    else this.endWhenFlushed = true;
  }

  /** Drops whatever is queued (the connection is being torn down). */
  discard(): void {
    this.q.clear();
  }
}
