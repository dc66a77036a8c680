/**
 * A ring of shared arenas that upstream heads are assembled in, each head handed to its sink as one
 * range of an arena (the scheme of h2-upstream-head.ts, as a class so the HTTP/1.1 head can use it
 * too). The arenas are shared by every upstream connection (they run one at a time) and their bytes
 * are never written again while a sink may keep them: an arena is started over only when every
 * sink it was handed to says it has nothing queued (`queued` 0), so a busy process does not
 * allocate per request. A sink that cannot say (no `queued`) keeps an arena for good.
 */
import type { ByteSink } from "../http/index.ts";
import type { RequestIdParts } from "./request-id.ts";

/** What an upstream head ends with beyond the received fields (filled per request by forwarded.ts). */
export interface HeadTail {
  /** The per-connection identity lines (X-Forwarded-For/Proto, Forwarded). */
  identity: string;
  /** The id the engine made for the request, or null. */
  generatedId: Readonly<RequestIdParts> | null;
  /** Hooks' added lines ("" for none). */
  added: string;
  /** The Host value to send instead of the received one, or null to keep it. */
  host: string | null;
  /** The backend's address: the Host when the request named none. */
  address: string;
  /** The request target to send instead of the received one, or null. */
  target: string | null;
}

/** Heads longer than this go piece by piece (a rare shape: the arena is for the common ones). */
export const MAX_ARENA_HEAD = 4096;

type Latin1Writer = Buffer & { latin1Write(s: string, offset: number): number };
/** Strings longer than this are copied natively: a call costs more than a short string's bytes. */
const SHORT_STRING = 32;
/** Byte runs longer than this are copied natively (Buffer.copy); shorter ones in a JS loop. */
const SHORT_RUN = 64;
/** The arena starts over when this few sinks used it and all have sent (more: not worth the checks). */
const REWIND_USERS = 16;

export class ArenaRing {
  /** The arena being written (arenas[cur]) and the first free byte of it. */
  arena: Buffer;
  at = 0;
  private readonly arenas: Buffer[];
  /** The sinks handed a range of the current arena since it was (re)started: users[0, userCount) (counted, never emptied: that would free the storage). */
  private readonly users: ByteSink[] = [];
  private userCount = 0;
  /** Per arena, the sinks that still kept bytes when it filled: holders[i][0, heldCount[i]). */
  private readonly holders: ByteSink[][];
  private readonly heldCount: Int32Array;
  private cur = 0;

  constructor(private readonly arenaBytes = 64 * 1024, private readonly ring = 4) {
    this.arenas = Array.from({ length: ring }, () => Buffer.allocUnsafe(arenaBytes));
    this.holders = Array.from({ length: ring }, () => []);
    this.heldCount = new Int32Array(ring);
    this.arena = this.arenas[0]!;
  }

  /**
   * Makes room for `n` bytes at `at` (n at most the arena size). A full arena gives way to the next
   * one that nothing keeps; only the sinks that still held bytes of it when it filled are
   * remembered. Only when every arena looks held is one replaced.
   */
  room(n: number): void {
    // Every sink handed a range since the last start has sent it: start over at the same (cached)
    // bytes. Marching on through 256 KiB of arenas missed the cache on each new head's lines (a
    // head cost 0.16 µs in a node's profile, against 0.11 µs in a loop where they stay cached).
    if (this.userCount > 0 && this.userCount <= REWIND_USERS && this.noneKept()) {
      this.userCount = 0;
      this.at = 0;
    }
    if (this.at + n <= this.arena.length) return;
    const kept = this.holders[this.cur]!;
    let kn = 0;
    for (let k = 0; k < this.userCount; k++) if (this.users[k]!.queued !== 0) kept[kn++] = this.users[k]!;
    this.heldCount[this.cur] = kn;
    this.userCount = 0;
    for (let step = 1; step <= this.ring; step++) {
      const i = (this.cur + step) % this.ring;
      if (!this.held(i)) return this.restart(i);
    }
    const i = (this.cur + 1) % this.ring;
    this.arenas[i] = Buffer.allocUnsafe(this.arenaBytes);
    this.restart(i);
  }

  private noneKept(): boolean {
    for (let k = 0; k < this.userCount; k++) if (this.users[k]!.queued !== 0) return false;
    return true;
  }

  private held(i: number): boolean {
    const sinks = this.holders[i]!;
    for (let k = 0; k < this.heldCount[i]!; k++) if (sinks[k]!.queued !== 0) return true;
    return false;
  }

  private restart(i: number): void {
    this.cur = i;
    this.arena = this.arenas[i]!;
    this.heldCount[i] = 0;
    this.at = 0;
  }

  /** Writes `s` (latin1) at `o`; returns the offset after it. */
  put(s: string, o: number): number {
    const a = this.arena;
    if (s.length > SHORT_STRING) return o + (a as Latin1Writer).latin1Write(s, o);
    for (let k = 0; k < s.length; k++) a[o++] = s.charCodeAt(k);
    return o;
  }

  /** Copies b[s, e) to `o`; returns the offset after it. */
  copy(b: Buffer, s: number, e: number, o: number): number {
    if (e - s > SHORT_RUN) return o + b.copy(this.arena, o, s, e);
    const a = this.arena;
    for (let k = s; k < e; k++) a[o++] = b[k]!;
    return o;
  }

  /** Hands arena[start, end) to `sink` as one range, and ends the head there. */
  hand(sink: ByteSink, start: number, end: number): boolean {
    this.at = end;
    this.users[this.userCount++] = sink;
    return sink.write(this.arena, start, end);
  }
}

/**
 * The one ring both upstream heads use (h1-upstream-head.ts, h2-upstream-head.ts): upstream
 * connections run one at a time, so one ring serves both and its first arena stays in cache.
 */
export const headRing = new ArenaRing();
