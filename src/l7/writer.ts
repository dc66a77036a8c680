/**
 * Writes to a Bun socket with backpressure. `socket.write` returns the bytes it took (BUN-NOTES
 * "Sockets"); the rest is queued here and flushed on `drain`. `write` returning false tells the
 * caller to pause whatever feeds it until the owner's `onWriterDrained` runs.
 */
import type { Socket } from "bun";

/** Told when a writer's queue has fully flushed. */
export interface WriterOwner {
  onWriterDrained(): void;
}

/** Corked bytes beyond this make `write` ask the caller to pause. */
const CORK_LIMIT = 256 * 1024;

export class SocketWriter {
  socket: Socket<unknown> | null = null;
  /** Bytes queued and not yet taken by the socket. */
  queued = 0;
  private queue: Uint8Array[] = [];
  private endWhenFlushed = false;
  private corked = false;
  /** A write returned false: the owner hears about the drain. */
  private blocked = false;

  constructor(private readonly owner: WriterOwner) {}

  /** Starts writing to `socket` (e.g. once an upstream connection opens), flushing what was queued. */
  attach(socket: Socket<unknown>): void {
    this.socket = socket;
    if (this.queued > 0) this.flush();
    else if (this.endWhenFlushed) socket.end();
  }

  /** Writes or queues `data`; false when the caller should pause its source until drained. */
  write(data: Uint8Array): boolean {
    if (data.length === 0) return true;
    if (this.queued === 0 && this.socket !== null && !this.corked) {
      const n = this.socket.write(data);
      if (n >= data.length) return true;
      if (n > 0) data = data.subarray(n);
    }
    this.enqueue(data);
    if (this.corked && this.socket !== null && this.queued <= CORK_LIMIT) return true;
    this.blocked = true;
    return false;
  }

  /**
   * Queues `data`, merging it into the previous view when both are adjacent slices of one buffer:
   * a relayed head and the body after it usually are, and then leave as one write with no copy.
   */
  private enqueue(data: Uint8Array): void {
    const q = this.queue, last = q[q.length - 1];
    if (last !== undefined && last.buffer === data.buffer && last.byteOffset + last.length === data.byteOffset) {
      q[q.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + data.length);
    } else q.push(data);
    this.queued += data.length;
  }

  /** Writes each buffer in order; true when all went straight to the socket. */
  writeAll(parts: Buffer[] | Buffer): boolean {
    if (!Array.isArray(parts)) return this.write(parts);
    let ok = true;
    for (const p of parts) ok = this.write(p) && ok;
    return ok;
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
    if (this.queue.length > 1 && this.queued <= CORK_LIMIT) this.queue = [Buffer.concat(this.queue, this.queued)];
    if (this.socket !== null && this.pump()) this.drained();
  }

  /** Called on the socket's `drain`: writes queued data; tells the owner once the queue is empty. */
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

  /** Writes queued data until the socket is full; true when the queue is empty. */
  private pump(): boolean {
    const s = this.socket!;
    while (this.queue.length > 0) {
      const data = this.queue[0]!;
      const n = s.write(data);
      if (n < data.length) {
        if (n > 0) {
          this.queue[0] = data.subarray(n);
          this.queued -= n;
        }
        return false;
      }
      this.queue.shift();
      this.queued -= data.length;
    }
    return true;
  }

  /** Half-closes the socket once everything queued has been written. */
  end(): void {
    if (this.queued === 0 && this.socket !== null && !this.corked) this.socket.end();
    else this.endWhenFlushed = true;
  }

  /** Drops whatever is queued (the connection is being torn down). */
  discard(): void {
    this.queue.length = 0;
    this.queued = 0;
  }
}
