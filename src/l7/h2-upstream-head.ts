/**
 * The HTTP/1.1 head for an HTTP/2 request's backend, assembled in one pass into a shared arena and
 * handed to the connection's writer as one range. Written piece by piece (method, target, each
 * name, ": ", value, CRLF, then the added fields), it was two dozen sink calls per request; byte
 * loops into one buffer cost a third of that (measured: 0.15 against 0.45 µs for h2load's head).
 *
 * The arenas are shared by every upstream connection (they run one at a time) and their bytes are
 * never written again while a sink may keep them: an arena is started over only when every sink it
 * was handed to says it has nothing queued (`queued` 0), so a busy process does not allocate per
 * request (see `room`). A sink that cannot say (no `queued`) keeps an arena for good.
 */
import { BodyKind, FIELD_STRIDE, H, type ByteSink, type RequestHead } from "../http/index.ts";
import { REQUEST_ID_LENGTH, formatInto, type RequestIdParts } from "./request-id.ts";

const ARENA_BYTES = 64 * 1024;
/** Heads longer than this go piece by piece (a rare shape: the arena is for the common ones). */
export const MAX_ARENA_HEAD = 4096;

/** Arenas written in turn; `arena` is arenas[cur]. */
const RING = 4;
const arenas = Array.from({ length: RING }, () => Buffer.allocUnsafe(ARENA_BYTES));
/**
 * The sinks handed a range of the current arena since it was (re)started: users[0, userCount).
 * Counted, not emptied with `length = 0`, which frees the array's storage to grow again each cycle
 * (h2-alloc read 313.8 B per request that way, against 308-311 for main and for this).
 */
const users: ByteSink[] = [];
let userCount = 0;
/** Per arena, the sinks that still kept bytes when it filled (the only ones that may keep any now): holders[i][0, heldCount[i]). */
const holders: ByteSink[][] = Array.from({ length: RING }, () => []);
const heldCount = new Int32Array(RING);
let cur = 0;
let arena = arenas[0]!;
let at = 0;

/**
 * Room for `n` bytes at `at`. A full arena gives way to the next one that nothing keeps. The heads
 * of one client packet sit corked in their writers until the packet is done, so the arena that
 * just filled is held by a few writers; only those are remembered, and the next arena is free once
 * they have nothing queued (a writer queueing again, for a later head, looks as if it still held it:
 * then the one after is tried). Only when every arena looks held is one replaced.
 */
function room(n: number): void {
  if (at + n <= arena.length) return;
  const kept = holders[cur]!;
  let kn = 0;
  for (let k = 0; k < userCount; k++) if (users[k]!.queued !== 0) kept[kn++] = users[k]!;
  heldCount[cur] = kn;
  userCount = 0;
  for (let step = 1; step <= RING; step++) {
    const i = (cur + step) % RING;
    if (!held(i)) return restart(i);
  }
  const i = (cur + 1) % RING;
  arenas[i] = Buffer.allocUnsafe(ARENA_BYTES);
  restart(i);
}

function held(i: number): boolean {
  const sinks = holders[i]!;
  for (let k = 0; k < heldCount[i]!; k++) if (sinks[k]!.queued !== 0) return true;
  return false;
}

function restart(i: number): void {
  cur = i;
  arena = arenas[i]!;
  heldCount[i] = 0;
  at = 0;
}

type Latin1Writer = Buffer & { latin1Write(s: string, offset: number): number };
/** Strings longer than this are copied natively: a call costs more than a short string's bytes. */
const SHORT = 32;

function put(s: string, o: number): number {
  if (s.length > SHORT) return o + (arena as Latin1Writer).latin1Write(s, o);
  for (let k = 0; k < s.length; k++) arena[o++] = s.charCodeAt(k);
  return o;
}

function copy(b: Buffer, s: number, e: number, o: number): number {
  for (let k = s; k < e; k++) arena[o++] = b[k]!;
  return o;
}

/** What the head ends with beyond the received fields: the engine's added field lines. */
export interface H2HeadTail {
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
}

/**
 * Bytes the head takes: an upper bound (a Cookie split over several fields is counted with
 * each of its names); more than MAX_ARENA_HEAD means the caller writes it piece by piece.
 */
export function h2HeadBytes(req: RequestHead, dropMask: number, target: string, tail: H2HeadTail): number {
  let n = req.method.length + target.length + 13 + tail.identity.length + tail.added.length + 64 + REQUEST_ID_LENGTH;
  // X-Forwarded-Host, and Host (ours, the backend's address or the received one)
  n += 2 * (req.hostEnd - req.hostStart) + 20 + (tail.host ?? "").length + tail.address.length + 8;
  const f = req.fields;
  for (let i = 0; i < req.count; i++) {
    const o = i * FIELD_STRIDE;
    if ((dropMask & (1 << f[o + 4]!)) === 0) n += f[o + 1]! - f[o]! + f[o + 3]! - f[o + 2]! + 4;
  }
  return n;
}

/**
 * Writes the whole head (request line, kept fields, Cookie fields as one line joined with "; "
 * as RFC 9113 §8.2.3 asks, the added lines, framing, Host, the empty line) into `sink` as one
 * range; `bytes` is h2HeadBytes's answer (at most MAX_ARENA_HEAD).
 */
export function emitH2Head(req: RequestHead, dropMask: number, target: string, tail: H2HeadTail, bytes: number, sink: ByteSink): void {
  room(bytes);
  const start = at, buf = req.buf, f = req.fields;
  let o = put(req.method, start);
  arena[o++] = 32;
  o = put(target, o);
  o = put(" HTTP/1.1\r\n", o);
  let cookieDone = false;
  for (let i = 0; i < req.count; i++) {
    const x = i * FIELD_STRIDE, id = f[x + 4]!;
    if ((dropMask & (1 << id)) !== 0) continue;
    if (id === H.COOKIE) {
      if (cookieDone) continue;
      cookieDone = true;
      o = put("cookie: ", o);
      o = put(req.getAll("cookie").join("; "), o);
    } else {
      o = copy(buf, f[x]!, f[x + 1]!, o);
      arena[o++] = 58; // ": "
      arena[o++] = 32;
      o = copy(buf, f[x + 2]!, f[x + 3]!, o);
    }
    arena[o++] = 13;
    arena[o++] = 10;
  }
  o = put(tail.identity, o);
  if (req.hostStart >= 0) {
    o = put("x-forwarded-host: ", o);
    o = copy(buf, req.hostStart, req.hostEnd, o);
    o = put("\r\n", o);
  }
  if (tail.generatedId !== null) {
    o = put("x-request-id: ", o);
    formatInto(tail.generatedId, arena, o);
    o = put("\r\n", o + REQUEST_ID_LENGTH);
  }
  o = put(tail.added, o);
  if (req.bodyKind === BodyKind.Chunked) o = put("transfer-encoding: chunked\r\n", o);
  else if (req.lengthRewrite) o = put(`content-length: ${req.contentLength}\r\n`, o);
  if (tail.host !== null || !req.has(H.HOST)) {
    o = put("host: ", o);
    o = put(tail.host ?? (req.hostStart < 0 ? tail.address : req.host), o);
    o = put("\r\n", o);
  }
  o = put("\r\n", o);
  at = o;
  users[userCount++] = sink;
  sink.write(arena, start, o);
}
