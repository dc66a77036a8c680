/**
 * Field names read from bytes as lower-case strings, interned: a name seen before (server,
 * content-type, date...) comes back as the same string, with no decode, no toLowerCase and no
 * allocation, so the encoder's name lookups hit strings whose hashes are already computed.
 * A small direct-mapped table: a colliding name replaces the slot's (both stay correct, one decodes).
 */

const SLOTS = 256;
const names: string[] = new Array<string>(SLOTS).fill("");

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** The lower-case latin1 string of buf[start, end). */
export function internName(buf: Uint8Array, start: number, end: number): string {
  let h = end - start;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + lower(buf[i]!)) | 0;
  const slot = (h ^ (h >>> 8)) & (SLOTS - 1);
  const cached = names[slot]!;
  if (cached.length === end - start && sameLower(cached, buf, start)) return cached;
  const name = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1").toLowerCase();
  names[slot] = name;
  return name;
}

function sameLower(s: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== lower(buf[start + i]!)) return false;
  return true;
}
