/**
 * A response body compressed as it streams: each piece from the backend is compressed and flushed
 * at once (as Envoy's compressor does), so a slow or endless stream (server-sent events, long
 * polls) reaches the client as it comes, and memory stays one engine plus what the client's
 * writer already queues. Output goes into slabs whose written ranges are never reused (the
 * client's writer may keep them by reference until the socket takes them).
 */
import type { Coding } from "./policy.ts";
import { giveBack, takeEngine, type ZlibEngine } from "./zlib-engine.ts";

/** Where compressed bytes go (the exchange's client side). */
export interface BodySink {
  /** false = pause the source until the client drains. */
  writeBody(buf: Buffer, start: number, end: number): boolean;
}

const SLAB_BYTES = 16 * 1024;
/** A slab with less room than this is left for a new one (fewer, larger writes). */
const MIN_ROOM = 1024;
const EMPTY = Buffer.alloc(0);

export class BodyEncoder {
  /** Body bytes taken in (from the backend) and given out (to the client). */
  bytesIn = 0;
  bytesOut = 0;
  private engine: ZlibEngine | null;
  private slab = EMPTY;
  private at = 0;

  constructor(readonly coding: Coding, level: number) {
    this.engine = takeEngine(coding, level);
  }

  /** Compresses buf[start, end) and writes what it makes; false = pause the source. Throws on an engine error. */
  write(buf: Buffer, start: number, end: number, sink: BodySink): boolean {
    if (end <= start || this.engine === null) return true;
    this.bytesIn += end - start;
    return this.pump(this.engine.flushFlag, buf, start, end - start, sink);
  }

  /** Writes the end of the compressed stream and lets the engine go. */
  finish(sink: BodySink): boolean {
    if (this.engine === null) return true;
    const ok = this.pump(this.engine.finishFlag, EMPTY, 0, 0, sink);
    this.release();
    return ok;
  }

  /** Lets the engine go (also when the response was cut short). */
  release(): void {
    if (this.engine === null) return;
    giveBack(this.engine);
    this.engine = null;
  }

  /** Runs the engine until it has taken all the input and had room left over (its flush is complete). */
  private pump(flag: number, buf: Buffer, inOff: number, inLen: number, sink: BodySink): boolean {
    const engine = this.engine!, state = engine.state;
    let ok = true;
    for (;;) {
      if (this.slab.length - this.at < MIN_ROOM) {
        this.slab = Buffer.allocUnsafe(SLAB_BYTES);
        this.at = 0;
      }
      const room = this.slab.length - this.at;
      engine.run(flag, buf, inOff, inLen, this.slab, this.at, room);
      const spaceLeft = state[0]!, inputLeft = state[1]!;
      const made = room - spaceLeft;
      if (made > 0) {
        const from = this.at;
        this.at += made;
        this.bytesOut += made;
        if (!sink.writeBody(this.slab, from, this.at)) ok = false;
      }
      inOff += inLen - inputLeft;
      inLen = inputLeft;
      if (spaceLeft !== 0) return ok;
    }
  }
}
