/**
 * HPACK integers (RFC 7541 §5.1): an N-bit prefix, then 7 bits per continuation byte. Values are
 * capped at 2^28 (four continuation bytes): every integer HPACK carries (indexes, table sizes,
 * string lengths) is far below, and a longer run of continuation bytes is an attack, not a number.
 */

/** Decoded value; `next` is the offset after the integer. Both -1 on a malformed or truncated one. */
export interface IntResult {
  value: number;
  next: number;
}

const MAX_CONTINUATION = 4;

/**
 * Decodes the integer whose first byte is buf[pos], with a `prefixBits`-bit prefix. Writes the
 * result into `out` (reused by the caller: no allocation per integer).
 */
export function decodeInt(buf: Uint8Array, pos: number, end: number, prefixBits: number, out: IntResult): void {
  const max = (1 << prefixBits) - 1;
  let value = buf[pos]! & max;
  pos++;
  if (value < max) {
    out.value = value;
    out.next = pos;
    return;
  }
  for (let i = 0, shift = 0; i < MAX_CONTINUATION; i++, shift += 7) {
    if (pos >= end) break;
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      out.value = value;
      out.next = pos;
      return;
    }
  }
  out.value = -1;
  out.next = -1;
}

/**
 * Writes `value` with a `prefixBits`-bit prefix at out[pos]; `flags` fills the bits above the
 * prefix in the first byte. Returns the offset after it (out needs up to 6 bytes of room).
 */
export function encodeInt(out: Uint8Array, pos: number, value: number, prefixBits: number, flags: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | max;
  value -= max;
  while (value >= 128) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}
