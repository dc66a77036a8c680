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

export class SocketWriter {
  socket: Socket<unknown> | null = null;
  /** Bytes queued and not yet taken by the socket. */
  queued = 0;
  private queue: Uint8Array[] = [];
  private endWhenFlushed = false;

  constructor(private readonly owner: WriterOwner) {}

  /** Starts writing to `socket` (e.g. once an upstream connection opens), flushing what was queued. */
  attach(socket: Socket<unknown>): void {
    this.socket = socket;
    if (this.queued > 0) this.flush();
  }

  /** Writes or queues `data`; true when everything went straight to the socket. */
  write(data: Uint8Array): boolean {
    if (data.length === 0) return this.queued === 0;
    if (this.queued === 0 && this.socket !== null) {
      const n = this.socket.write(data);
      if (n >= data.length) return true;
      if (n > 0) data = data.subarray(n);
    }
    this.queue.push(data);
    this.queued += data.length;
    return false;
  }

  /** Writes each buffer in order; true when all went straight to the socket. */
  writeAll(parts: Buffer[] | Buffer): boolean {
    if (!Array.isArray(parts)) return this.write(parts);
    let ok = true;
    for (const p of parts) ok = this.write(p) && ok;
    return ok;
  }

  /** Called on the socket's `drain`: writes queued data; tells the owner once the queue is empty. */
  flush(): void {
    const s = this.socket;
    if (s === null) return;
    while (this.queue.length > 0) {
      const data = this.queue[0]!;
      const n = s.write(data);
      if (n < data.length) {
        if (n > 0) {
          this.queue[0] = data.subarray(n);
          this.queued -= n;
        }
        return;
      }
      this.queue.shift();
      this.queued -= data.length;
    }
    if (this.endWhenFlushed) {
      s.end();
      return;
    }
    this.owner.onWriterDrained();
  }

  /** Half-closes the socket once everything queued has been written. */
  end(): void {
    if (this.queued === 0 && this.socket !== null) this.socket.end();
    else this.endWhenFlushed = true;
  }

  /** Drops whatever is queued (the connection is being torn down). */
  discard(): void {
    this.queue.length = 0;
    this.queued = 0;
  }
}
