/**
 * An HTTP/2 connection's output batched per event-loop turn: frames written while a turn runs are
 * held (corked) and leave in one write at its end (setImmediate runs after the turn's I/O
 * callbacks), so responses to many streams that complete in the same turn, one backend socket each,
 * cost the client one syscall instead of one each (the way nginx and HAProxy flush per loop). One
 * setImmediate serves every connection that wrote in the turn (a turn under load touches dozens).
 *
 * A turn is as long as the events the loop got at once: hundreds of backend sockets after a
 * collection or a pause of the host, several milliseconds to relay. Output is held at most
 * `MAX_HOLD_MS` of that: a write after it flushes the batch as soon as the current callback returns
 * (a microtask, so nothing runs under the caller), and the rest of the turn starts another batch.
 * Held for the whole turn, the answers read first waited for the last (p99 1.1× HAProxy's, issue 15).
 */
import { reuseArena, type H2Output } from "../h2/index.ts";
import type { SocketWriter } from "./writer.ts";

/** How long a batch may hold the first bytes written into it, ms. */
export const MAX_HOLD_MS = 1;

/** Connections with corked output this turn, uncorked together when it ends. */
const pending: TickOutput[] = [];
/** When the open batch took its first write (performance.now). */
let since = 0;
/** A flush of the open batch is queued (the turn's end, or a microtask once it was held too long). */
let queued = false;
let early = false;

function flushTurn(): void {
  queued = early = false;
  // a flush may make a connection write again (a drained writer resumes a stream): that lands in
  // a later slot of `pending`, flushed by this same loop
  let i = 0;
  try {
    for (; i < pending.length; i++) {
      const o = pending[i]!;
      o.scheduled = false;
      o.writer.uncork();
    }
  } finally {
    // one connection's throw must not strand the others' output: they go next turn
    if (i < pending.length) {
      pending.splice(0, i + 1);
      if (pending.length > 0) schedule();
    } else {
      pending.length = 0;
      reuseArena(); // the frames just sent: their bytes may be overwritten unless a socket kept some
    }
  }
}

function schedule(): void {
  since = performance.now();
  if (queued) return;
  queued = true;
  setImmediate(flushTurn);
}

export class TickOutput implements H2Output {
  scheduled = false;

  constructor(readonly writer: SocketWriter) {}

  write(buf: Buffer, start: number, end: number): boolean {
    if (!this.scheduled) {
      this.scheduled = true;
      this.writer.cork();
      if (pending.push(this) === 1) schedule();
    }
    if (!early && performance.now() - since >= MAX_HOLD_MS) {
      early = true;
      queueMicrotask(flushTurn);
    }
    return this.writer.write(buf, start, end);
  }

  end(): void {
    this.writer.uncork();
    this.writer.end();
  }

  holding(): boolean {
    return this.writer.queued > 0;
  }
}
