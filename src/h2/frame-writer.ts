/**
 * Serialises frames into a shared output arena and hands each connection's bytes to its transport
 * in one write per turn (a packet parsed, an API call), since every socket write is a syscall
 * (BUN-NOTES "the write path"). The arena is shared by all connections (they run one at a time):
 * a connection writing while another's batch is open flushes that batch first, and bytes handed to
 * a transport are never written again while it may keep them (a range it could not send yet): a
 * full arena is replaced, and it is written from its start again only when every transport it was
 * handed to says it holds none of it (`reuseArena`), so a busy process does not allocate 64 KiB
 * per 64 KiB of frames. An idle connection holds no output buffer.
 */
import { FRAME_HEADER, FrameType, Flag } from "./constants.ts";

/** Where a connection's bytes go: Fulcrum's SocketWriter fits (its write keeps what it cannot send). */
export interface H2Output {
  /** Takes buf[start, end) (the range stays valid); false when the transport wants no more for now. */
  write(buf: Buffer, start: number, end: number): boolean;
  /** Closes the transport once everything written has left. */
  end(): void;
  /**
   * True while it keeps bytes of a range it was handed (queued, not sent yet). A transport
   * without this method is taken to keep them: the arena it wrote from is never reused.
   */
  holding?(): boolean;
}

const ARENA_BYTES = 64 * 1024;
let arena = Buffer.allocUnsafe(ARENA_BYTES);
let at = 0;
let owner: FrameWriter | null = null;
/** The writers that handed ranges of the arena to their transports since it was (re)started. */
const users: FrameWriter[] = [];
let epoch = 0;

/**
 * Starts the arena over when no transport keeps any of its bytes (called when a turn's output has
 * been flushed); true when it did.
 */
export function reuseArena(): boolean {
  if (owner !== null || at === 0) return false;
  for (let i = 0; i < users.length; i++) if (users[i]!.out.holding?.() !== false) return false;
  restart();
  return true;
}

function restart(): void {
  at = 0;
  users.length = 0;
  epoch++;
}

export class FrameWriter {
  /** Where this writer's open batch starts in the arena (meaningful while it owns the arena). */
  private start = 0;
  /** The transport said it is full: DATA waits for `drained`. */
  blocked = false;
  /** The arena epoch this writer last handed a range of (it is in `users` for it). */
  private epoch = -1;

  constructor(readonly out: H2Output) {}

  /** Hands the open batch to the transport. */
  flush(): void {
    if (owner !== this) return;
    owner = null;
    if (at <= this.start) return;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      users.push(this);
    }
    if (!this.out.write(arena, this.start, at)) this.blocked = true;
  }

  /** Closes the transport after what was written. */
  end(): void {
    this.flush();
    this.out.end();
  }

  /** `n` bytes of the batch: their offset in `arena` (which `room` may replace: read it after). */
  private room(n: number): number {
    if (owner !== this) {
      owner?.flush();
      owner = this;
      this.start = at;
    }
    if (at + n > arena.length) {
      this.flush();
      arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, n));
      restart();
      owner = this;
      this.start = 0;
    }
    const p = at;
    at += n;
    return p;
  }

  private head(len: number, type: number, flags: number, streamId: number): number {
    const p = this.room(FRAME_HEADER + len);
    arena[p] = len >>> 16;
    arena[p + 1] = (len >>> 8) & 0xff;
    arena[p + 2] = len & 0xff;
    arena[p + 3] = type;
    arena[p + 4] = flags;
    arena.writeUInt32BE(streamId >>> 0, p + 5);
    return p + FRAME_HEADER;
  }

  /** Raw bytes (the client connection preface). */
  raw(src: Buffer): void {
    const p = this.room(src.length);
    src.copy(arena, p);
  }

  /** SETTINGS with (id, value) pairs. */
  settings(pairs: readonly number[]): void {
    const p = this.head(pairs.length * 3, FrameType.SETTINGS, 0, 0);
    for (let i = 0; i < pairs.length; i += 2) {
      arena.writeUInt16BE(pairs[i]!, p + i * 3);
      arena.writeUInt32BE(pairs[i + 1]! >>> 0, p + i * 3 + 2);
    }
  }

  settingsAck(): void {
    this.head(0, FrameType.SETTINGS, Flag.ACK, 0);
  }

  /** PING with the 8 bytes src[s, s + 8). */
  ping(ack: boolean, src: Buffer, s: number): void {
    const p = this.head(8, FrameType.PING, ack ? Flag.ACK : 0, 0);
    src.copy(arena, p, s, s + 8);
  }

  goaway(lastStreamId: number, code: number, debug: string): void {
    const p = this.head(8 + debug.length, FrameType.GOAWAY, 0, 0);
    arena.writeUInt32BE(lastStreamId >>> 0, p);
    arena.writeUInt32BE(code >>> 0, p + 4);
    arena.write(debug, p + 8, "latin1");
  }

  rstStream(streamId: number, code: number): void {
    const p = this.head(4, FrameType.RST_STREAM, 0, streamId);
    arena.writeUInt32BE(code >>> 0, p);
  }

  windowUpdate(streamId: number, increment: number): void {
    const p = this.head(4, FrameType.WINDOW_UPDATE, 0, streamId);
    arena.writeUInt32BE(increment >>> 0, p);
  }

  /** One DATA frame carrying src[s, e) (copied: the batch leaves in one write). */
  data(streamId: number, endStream: boolean, src: Buffer, s: number, e: number): void {
    const p = this.head(e - s, FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId);
    if (e > s) src.copy(arena, p, s, e);
  }

  /** A header block src[0, len) as HEADERS and as many CONTINUATION frames as `maxFrame` needs. */
  headers(streamId: number, endStream: boolean, src: Buffer, len: number, maxFrame: number): void {
    let s = 0;
    let type: number = FrameType.HEADERS;
    let flags = endStream ? Flag.END_STREAM : 0;
    do {
      const n = Math.min(maxFrame, len - s);
      const last = s + n === len;
      const p = this.head(n, type, flags | (last ? Flag.END_HEADERS : 0), streamId);
      src.copy(arena, p, s, s + n);
      s += n;
      type = FrameType.CONTINUATION;
      flags = 0;
    } while (s < len);
  }
}
