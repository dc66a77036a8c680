/**
 * Request ids: UUIDv7 (RFC 9562 §5.7) held as four numbers and formatted only where one is read,
 * straight into the upstream head's bytes (formatInto) or as a string for a log line or a hook
 * (formatString). Making the 36-character string for every request was the last allocation the
 * HTTP/1.1 engine made per request, and most requests never need it as a string.
 *
 * Layout, as Bun.randomUUIDv7 lays it out: 48 bits of Unix milliseconds, the version (7), a 12-bit
 * counter (rand_a) that increases within a millisecond (RFC 9562 §6.2 method 1), so ids of one
 * process sort by creation, then the variant (0b10) and 62 random bits from the system's CSPRNG,
 * so ids cannot be guessed from one another.
 */

/** One id: what RequestCtx keeps per request (numbers, no allocation). */
export interface RequestIdParts {
  /** Unix milliseconds (48 bits). */
  idMs: number;
  /** The 12-bit counter. */
  idSeq: number;
  /** Random bits 62..32 with the variant in the top two bits. */
  idHi: number;
  /** Random bits 31..0. */
  idLo: number;
}

/** Length of a formatted id ("xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx"). */
export const REQUEST_ID_LENGTH = 36;

/** Random words drawn per refill: one getRandomValues call serves 512 ids. */
const POOL_WORDS = 1024;
const pool = new Uint32Array(POOL_WORDS);
let poolAt = POOL_WORDS;
let lastMs = 0;
let lastSeq = 0;

function randomWord(): number {
  if (poolAt === POOL_WORDS) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/**
 * Fills `into` with a new id. A new millisecond starts the counter at a random value in its lower
 * half (room for 2,048 more ids in that millisecond); past 4,095 the id borrows the next
 * millisecond, and a clock that steps back does not reorder ids.
 */
export function nextRequestId(into: RequestIdParts, nowMs: number): void {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    lastSeq = randomWord() & 0x7ff;
  } else if (++lastSeq > 0xfff) {
    lastMs++;
    lastSeq = 0;
  }
  into.idMs = lastMs;
  into.idSeq = lastSeq;
  into.idHi = ((randomWord() & 0x3fffffff) | 0x80000000) >>> 0;
  into.idLo = randomWord();
}

const HEX = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEX[i] = "0123456789abcdef".charCodeAt(i);
const DASH = 0x2d;

/** Writes `digits` hex digits of `v` (an unsigned 32-bit value) at `at`, most significant first. */
function hex(out: Uint8Array, at: number, v: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = HEX[v & 15]!;
    v >>>= 4;
  }
}

/** Writes the id's 36 ASCII bytes at out[at, at + 36). */
export function formatInto(id: Readonly<RequestIdParts>, out: Uint8Array, at = 0): void {
  const msHigh = Math.floor(id.idMs / 0x10000) >>> 0;
  hex(out, at, msHigh, 8);
  out[at + 8] = DASH;
  hex(out, at + 9, id.idMs % 0x10000, 4);
  out[at + 13] = DASH;
  hex(out, at + 14, 0x7000 | id.idSeq, 4);
  out[at + 18] = DASH;
  hex(out, at + 19, id.idHi >>> 16, 4);
  out[at + 23] = DASH;
  hex(out, at + 24, id.idHi & 0xffff, 4);
  hex(out, at + 28, id.idLo, 8);
}

/** A shared buffer for formatString (single-threaded: safe to share). */
const SCRATCH = Buffer.alloc(REQUEST_ID_LENGTH);

/** The id as its canonical lower-case string. */
export function formatString(id: Readonly<RequestIdParts>): string {
  formatInto(id, SCRATCH);
  return SCRATCH.toString("latin1", 0, REQUEST_ID_LENGTH);
}
