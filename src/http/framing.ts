/**
 * Message framing from the fields (RFC 9112 §6, §7, §9.6): Content-Length, Transfer-Encoding and
 * Connection, applied strictly because a proxy and its backend must never disagree on where a
 * message ends (request smuggling).
 */
import { HT, SP, TCHAR } from "./chars.ts";
import { BodyKind, FIELD_STRIDE, H, equalsLower, type HttpHead } from "./head.ts";
import { badMessage } from "./parse-error.ts";

/** Largest Content-Length accepted: 15 digits stays below 2^53, so the number is exact. */
const MAX_CL_DIGITS = 15;

/**
 * Reads Content-Length, Transfer-Encoding and Connection into `head` (seen, bodyKind,
 * contentLength, lengthRewrite, keepAlive, upgrade) and marks fields named in Connection as hop-by-hop.
 * Rejects: CL with TE, TE other than exactly one `chunked`, TE in HTTP/1.0, malformed or differing CL.
 */
export function applyFraming(head: HttpHead, upstream: boolean): void {
  const f = head.fields, buf = head.buf;
  let seen = 0, cl = -1, teCount = 0, close = false, keepAlive = false, upgradeToken = false, named = false, other = false;
  let rewrite = false;
  for (let i = 0; i < head.count; i++) {
    const o = i * FIELD_STRIDE, id = f[o + 4]!;
    seen |= 1 << id;
    if (id === H.CONTENT_LENGTH) {
      const s = f[o + 2]!, e = f[o + 3]!;
      const v = parseContentLength(buf, s, e);
      if (v < 0) throw badMessage("BAD_CONTENT_LENGTH", upstream);
      if (cl >= 0 && v !== cl) throw badMessage("DIFFERING_CONTENT_LENGTH", upstream);
      // a second (identical) line or "05": forwarded as one canonical line, never as received
      rewrite ||= cl >= 0 || (e - s > 1 && buf[s] === 0x30);
      cl = v;
    } else if (id === H.TRANSFER_ENCODING) {
      teCount++;
      if (f[o + 3]! - f[o + 2]! !== 7 || !equalsLower(buf, f[o + 2]!, "chunked")) throw badMessage("BAD_TRANSFER_ENCODING", upstream);
    } else if (id === H.CONNECTION) {
      const flags = connectionTokens(head, f[o + 2]!, f[o + 3]!, upstream);
      close ||= (flags & 1) !== 0;
      keepAlive ||= (flags & 2) !== 0;
      upgradeToken ||= (flags & 4) !== 0;
      named ||= (flags & 8) !== 0;
      other ||= (flags & 16) !== 0;
    }
  }
  head.seen = named ? seen | (1 << H.NAMED_IN_CONNECTION) : seen;
  if (teCount > 1) throw badMessage("BAD_TRANSFER_ENCODING", upstream);
  if (teCount === 1 && cl >= 0) throw badMessage("TE_AND_CL", upstream);
  if (teCount === 1 && head.versionMinor === 0) throw badMessage("TE_IN_HTTP10", upstream);
  head.keepAlive = head.versionMinor === 1 ? !close : keepAlive && !close;
  head.connectionIsKeepAlive = keepAlive && !close && !upgradeToken && !named && !other;
  head.upgrade = upgradeToken && (seen & (1 << H.UPGRADE)) !== 0;
  if (teCount === 1) head.bodyKind = BodyKind.Chunked;
  else if (cl > 0) head.bodyKind = BodyKind.Length;
  head.contentLength = cl;
  head.lengthRewrite = rewrite;
}

/** 1*DIGIT and nothing else ("+5", "5 5", "0x5", "", "5,5" are all invalid); -1 when invalid. */
export function parseContentLength(buf: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > MAX_CL_DIGITS) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Walks a Connection value's comma-separated tokens. Returns bit 1 close, 2 keep-alive, 4 upgrade,
 * 8 named a field, 16 any other token;
 * any other token marks the OTHER fields of that name NAMED_IN_CONNECTION. Known end-to-end fields
 * (Host, Content-Length, X-Forwarded-*) keep their id, so Connection cannot be used to strip them.
 */
function connectionTokens(head: HttpHead, s: number, e: number, upstream: boolean): number {
  const buf = head.buf;
  let flags = 0, i = s;
  while (i < e) {
    while (i < e && (buf[i] === SP || buf[i] === HT || buf[i] === 0x2c)) i++;
    const ts = i;
    while (i < e && TCHAR[buf[i]!] === 1) i++;
    if (i === ts) {
      if (i < e) throw badMessage("BAD_HEADER_VALUE", upstream);
      break;
    }
    const len = i - ts;
    if (len === 5 && equalsLower(buf, ts, "close")) flags |= 1;
    else if (len === 10 && equalsLower(buf, ts, "keep-alive")) flags |= 2;
    else if (len === 7 && equalsLower(buf, ts, "upgrade")) flags |= 4;
    else flags |= markNamed(head, ts, len) ? 8 | 16 : 16;
  }
  return flags;
}

function markNamed(head: HttpHead, ts: number, len: number): boolean {
  const f = head.fields, buf = head.buf;
  let marked = false;
  for (let j = 0; j < head.count; j++) {
    const o = j * FIELD_STRIDE;
    if (f[o + 4] !== H.OTHER || f[o + 1]! - f[o]! !== len) continue;
    let k = 0;
    while (k < len && (buf[f[o]! + k]! | 0x20) === (buf[ts + k]! | 0x20)) k++;
    if (k === len) {
      f[o + 4] = H.NAMED_IN_CONNECTION;
      marked = true;
    }
  }
  return marked;
}
