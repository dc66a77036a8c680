/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) on the wire: the `traceparent` value
 * read as §3.2 and §4.3 say (lower-case hex, no all-zero ids, version ff refused, a later version
 * read as version 00 when its first four fields fit), and written as version 00. Ids are random
 * hex from a refilled pool of random bytes, so a request costs no system call.
 */

/** What a valid incoming traceparent carries. */
export interface ParentContext {
  readonly traceId: string;
  readonly parentId: string;
  /** trace-flags as a number (bit 0: sampled). */
  readonly flags: number;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** Parses a traceparent value (already trimmed of surrounding whitespace); undefined when invalid. */
export function parseTraceparent(value: string): ParentContext | undefined {
  if (value.length < 55 || value[2] !== "-" || value[35] !== "-" || value[52] !== "-") return undefined;
  const version = value.slice(0, 2);
  if (!HEX.test(version) || version === "ff") return undefined;
  // Version 00 is exactly 55 characters; a later one may add fields after a "-".
  if (version === "00" ? value.length !== 55 : value.length > 55 && value[55] !== "-") return undefined;
  const traceId = value.slice(3, 35);
  const parentId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(parentId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags: parseInt(flags, 16) };
}

/** The traceparent value for a hop: version 00. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${BYTE_HEX[flags & 0xff]}`;
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

function hex(n: number): string {
  if (used + n > POOL_BYTES) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let s = "";
  for (let i = 0; i < n; i++) s += BYTE_HEX[pool[used + i]!];
  used += n;
  return s;
}

/** A new random 16-byte trace id as 32 hex digits (never all zeros). */
export function newTraceId(): string {
  const id = hex(16);
  return id === ZERO_TRACE ? newTraceId() : id;
}

/** A new random 8-byte span id as 16 hex digits (never all zeros). */
export function newSpanId(): string {
  const id = hex(8);
  return id === ZERO_SPAN ? newSpanId() : id;
}
