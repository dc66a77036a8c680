/**
 * Strings read from bytes, interned: a name or value seen before (server, content-type, the
 * :authority of every request on a site...) comes back as the same string, with no decode, no
 * toLowerCase and no allocation, and map lookups on it reuse its computed hash.
 * Small direct-mapped tables: a colliding string replaces the slot's (both stay correct, one decodes).
 */

import { FieldName } from "./field-name.ts";

const SLOTS = 256;
const names: FieldName[] = new Array<FieldName>(SLOTS).fill(new FieldName(""));
const values: string[] = new Array<string>(SLOTS).fill("");
/** Longer values are decoded each time (they are rarely repeated, and comparing costs as much). */
const MAX_VALUE = 64;

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** The name buf[start, end), lower-case. */
export function internName(buf: Buffer, start: number, end: number): FieldName {
  let h = end - start;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + lower(buf[i]!)) | 0;
  const slot = (h ^ (h >>> 8)) & (SLOTS - 1);
  const cached = names[slot]!;
  if (cached.name.length === end - start && sameLower(cached.name, buf, start)) return cached;
  const name = new FieldName(buf.toString("latin1", start, end).toLowerCase());
  names[slot] = name;
  return name;
}

function sameLower(s: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== lower(buf[start + i]!)) return false;
  return true;
}

/** The latin1 string of buf[start, end), exact (case kept). */
export function internValue(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > MAX_VALUE) return buf.toString("latin1", start, end);
  let h = len;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const slot = (h ^ (h >>> 8)) & (SLOTS - 1);
  const cached = values[slot]!;
  if (cached.length === len && same(cached, buf, start)) return cached;
  const value = buf.toString("latin1", start, end);
  values[slot] = value;
  return value;
}

function same(s: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}
