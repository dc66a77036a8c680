/**
 * Field-line scanning (RFC 9112 §5, RFC 9110 §5.5): validates every byte with lookup tables and
 * records offsets, so a head is checked in one pass without decoding a string per header.
 */
import { CR, FIELD_VALUE, HT, LF, SP, TCHAR } from "./chars.ts";
import { FIELD_STRIDE, H, equalsLower } from "./head.ts";
import { badMessage, tooLarge } from "./parse-error.ts";

/**
 * Scans the field lines in buf[pos, end), where `end` is the offset of the empty line's CR.
 * Fills `out` (FIELD_STRIDE ints per field) and returns the field count. Throws HttpParseError on
 * obs-fold, whitespace before the colon, a non-token name, bare CR/LF or a control byte in a value.
 */
export function scanFields(buf: Buffer, pos: number, end: number, out: Int32Array, maxCount: number, upstream: boolean): number {
  let n = 0;
  while (pos < end) {
    const first = buf[pos]!;
    if (first === SP || first === HT) throw badMessage("OBS_FOLD", upstream);
    let i = pos;
    while (TCHAR[buf[i]!] === 1) i++;
    const c = buf[i];
    if (c !== 0x3a || i === pos) {
      if (c === SP || c === HT) throw badMessage("WS_BEFORE_COLON", upstream);
      throw badMessage(c === LF ? "BARE_LF" : "BAD_HEADER_NAME", upstream);
    }
    let vs = i + 1;
    while (buf[vs] === SP || buf[vs] === HT) vs++;
    // one pass finds the line end and validates every value byte (no indexOf per line)
    let k = vs;
    while (FIELD_VALUE[buf[k]!] === 1) k++;
    const b = buf[k];
    let ve = k;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HT)) ve--;
    if (b !== CR) throw badMessage(b === LF ? "BARE_LF" : "BAD_HEADER_VALUE", upstream);
    if (buf[k + 1] !== LF) throw badMessage("BARE_CR", upstream);
    if (n === maxCount) throw tooLarge("TOO_MANY_HEADERS", upstream);
    const o = n * FIELD_STRIDE;
    out[o] = pos;
    out[o + 1] = i;
    out[o + 2] = vs;
    out[o + 3] = ve;
    out[o + 4] = fieldId(buf, pos, i - pos);
    n++;
    pos = k + 2;
  }
  return n;
}

/** Classifies a field name by length, then by a case-insensitive compare (names are tokens). */
export function fieldId(buf: Buffer, s: number, len: number): number {
  switch (len) {
    case 2: return equalsLower(buf, s, "te") ? H.TE : H.OTHER;
    case 4: return equalsLower(buf, s, "host") ? H.HOST : H.OTHER;
    case 6: return equalsLower(buf, s, "expect") ? H.EXPECT : H.OTHER;
    case 7:
      if (equalsLower(buf, s, "upgrade")) return H.UPGRADE;
      return equalsLower(buf, s, "trailer") ? H.TRAILER : H.OTHER;
    case 9: return equalsLower(buf, s, "forwarded") ? H.FORWARDED : H.OTHER;
    case 10:
      if (equalsLower(buf, s, "connection")) return H.CONNECTION;
      return equalsLower(buf, s, "keep-alive") ? H.KEEP_ALIVE : H.OTHER;
    case 12: return equalsLower(buf, s, "x-request-id") ? H.X_REQUEST_ID : H.OTHER;
    case 14:
      if (equalsLower(buf, s, "content-length")) return H.CONTENT_LENGTH;
      return equalsLower(buf, s, "http2-settings") ? H.HTTP2_SETTINGS : H.OTHER;
    case 15: return equalsLower(buf, s, "x-forwarded-for") ? H.X_FORWARDED_FOR : H.OTHER;
    case 16:
      if (equalsLower(buf, s, "proxy-connection")) return H.PROXY_CONNECTION;
      return equalsLower(buf, s, "x-forwarded-host") ? H.X_FORWARDED_HOST : H.OTHER;
    case 17:
      if (equalsLower(buf, s, "transfer-encoding")) return H.TRANSFER_ENCODING;
      return equalsLower(buf, s, "x-forwarded-proto") ? H.X_FORWARDED_PROTO : H.OTHER;
    case 23: return equalsLower(buf, s, "x-forwarded-client-cert") ? H.X_FORWARDED_CLIENT_CERT : H.OTHER;
    default: return H.OTHER;
  }
}

/** Bitmask of the known field ids present among `count` fields. */
export function seenMask(fields: Int32Array, count: number): number {
  let m = 0;
  for (let i = 0; i < count; i++) m |= 1 << fields[i * FIELD_STRIDE + 4]!;
  return m;
}
