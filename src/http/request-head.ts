/** Request head parsing (RFC 9112 §3): request line, fields, framing and Host, all strict. */
import { sameAuthority, scanAuthority } from "../net/index.ts";
import { CR, LF, SP, TARGET, TCHAR } from "./chars.ts";
import { newRequestHead, type HeadStore } from "./head-store.ts";
import { scanFields } from "./fields.ts";
import { applyFraming } from "./framing.ts";
import { FIELD_STRIDE, H, RequestHead, equalsLower } from "./head.ts";
import type { HttpLimits } from "./limits.ts";
import { HttpParseError, badMessage } from "./parse-error.ts";

/**
 * Parses one complete request head at buf[start, end), from the request line through the empty
 * line's CRLF; the head keeps `buf` and offsets, nothing is copied. `scratch` holds at least maxHeaderCount * FIELD_STRIDE ints and is reused;
 * the head and its offsets are new, or `store`'s (valid until its next head).
 * Throws HttpParseError (400, 414 or 431) on anything the strict grammar does not allow.
 */
export function parseRequestHead(
  buf: Buffer, start: number, end: number, scratch: Int32Array, limits: HttpLimits, store: HeadStore | null = null,
): RequestHead {
  let i = start;
  while (TCHAR[buf[i]!] === 1) i++;
  if (i === start || buf[i] !== SP) throw lineError(buf, i, "BAD_METHOD");
  const ts = i + 1;
  let j = ts;
  while (TARGET[buf[j]!] === 1) j++;
  if (j === ts || buf[j] !== SP) throw lineError(buf, j, "BAD_TARGET");
  const lineEnd = j + 9;
  const minor = parseVersion(buf, j + 1);
  if (minor < 0 || buf[lineEnd] !== CR) throw lineError(buf, lineEnd, "BAD_VERSION");
  if (buf[lineEnd + 1] !== LF) throw badMessage("BARE_CR", false);
  if (lineEnd - start > limits.maxRequestLine) throw new HttpParseError("URI_TOO_LONG", "REQUEST_LINE_TOO_LONG");

  const count = scanFields(buf, lineEnd + 2, end - 2, scratch, limits.maxHeaderCount, false);
  const head = newRequestHead(store, scratch, count * FIELD_STRIDE, buf, start, end, count, lineEnd + 2);
  head.versionMinor = minor;
  head.method = methodString(buf, start, i - start);
  head.target = targetString(buf, ts, j);
  head.isConnect = head.method === "CONNECT";
  checkTargetForm(head, ts);
  applyFraming(head, false);
  readHost(head);
  if (head.pathStart > 0) matchAuthority(head, ts);
  if (minor === 1 && head.has(H.EXPECT)) {
    const v = head.indexOf("expect");
    const f = head.fields, o = v * FIELD_STRIDE;
    head.expectContinue = f[o + 3]! - f[o + 2]! === 12 && equalsLower(buf, f[o + 2]!, "100-continue");
  }
  return head;
}

/** Longest target the one-entry cache of targetString keeps. */
const TARGET_CACHE_MAX = 128;
/** The last target decoded (a target is ASCII: one byte is one char). */
let lastTarget = "/";

/**
 * The target as a string, the last one's string when the bytes are the same: keep-alive clients
 * ask for the same target again and again (a health check, a polled API, a benchmark), and a byte
 * compare costs less than a string made, and later collected, per request.
 */
function targetString(buf: Buffer, s: number, e: number): string {
  const len = e - s;
  if (len === lastTarget.length) {
    let i = 0;
    while (i < len && buf[s + i] === lastTarget.charCodeAt(i)) i++;
    if (i === len) return lastTarget;
  }
  const t = buf.toString("latin1", s, e);
  if (len <= TARGET_CACHE_MAX) lastTarget = t;
  return t;
}

/** The request line broke at `at`: a bare CR or LF there says more than the grammar rule. */
function lineError(buf: Buffer, at: number, reason: "BAD_METHOD" | "BAD_TARGET" | "BAD_VERSION") {
  const b = buf[at];
  if (b === LF) return badMessage("BARE_LF", false);
  if (b === CR && buf[at + 1] !== LF) return badMessage("BARE_CR", false);
  return badMessage(reason, false);
}

/** "HTTP/1.1" at `s` → 1, "HTTP/1.0" → 0, anything else → -1 (HTTP/2 preface, 1.2, lower-case...). */
function parseVersion(buf: Buffer, s: number): number {
  if (buf[s] !== 0x48 || buf[s + 1] !== 0x54 || buf[s + 2] !== 0x54 || buf[s + 3] !== 0x50) return -1;
  if (buf[s + 4] !== 0x2f || buf[s + 5] !== 0x31 || buf[s + 6] !== 0x2e) return -1;
  const m = buf[s + 7];
  return m === 0x31 ? 1 : m === 0x30 ? 0 : -1;
}

/** Common methods without allocating a string. */
function methodString(buf: Buffer, s: number, len: number): string {
  const c = buf[s];
  if (len === 3 && c === 0x47 && buf[s + 1] === 0x45 && buf[s + 2] === 0x54) return "GET";
  if (len === 4 && c === 0x50 && buf[s + 1] === 0x4f && buf[s + 2] === 0x53 && buf[s + 3] === 0x54) return "POST";
  if (len === 4 && c === 0x48 && buf[s + 1] === 0x45 && buf[s + 2] === 0x41 && buf[s + 3] === 0x44) return "HEAD";
  return buf.toString("latin1", s, s + len);
}

/**
 * origin-form, absolute-form (http/https), authority-form only for CONNECT, `*` only for OPTIONS.
 * `ts` is the target's offset in the buffer. Sets head.pathStart.
 */
function checkTargetForm(head: RequestHead, ts: number): void {
  const t = head.target;
  if (head.isConnect) {
    if (t.includes("/") || t.includes("@") || !t.includes(":")) throw badMessage("BAD_TARGET", false);
    head.pathStart = -1;
    return;
  }
  const c = t.charCodeAt(0);
  if (c === 0x2f) return;
  if (t === "*" && head.method === "OPTIONS") {
    head.pathStart = -1;
    return;
  }
  readAbsoluteForm(head, ts);
}

/**
 * absolute-form (RFC 9112 §3.2.2): "http://" or "https://" (any case), an authority as a Host
 * value must be (no userinfo: RFC 9110 §4.2.4 deprecates it and it only serves to deceive), then
 * the path and query. The path starts at the first "/" or "?" after the authority.
 */
function readAbsoluteForm(head: RequestHead, ts: number): void {
  const t = head.target;
  const lower = t.slice(0, 8).toLowerCase();
  const schemeLen = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : 0;
  if (schemeLen === 0) throw badMessage("BAD_TARGET", false);
  let end = schemeLen;
  while (end < t.length && t.charCodeAt(end) !== 0x2f && t.charCodeAt(end) !== 0x3f) end++;
  const at = t.indexOf("@", schemeLen);
  if (at >= 0 && at < end) throw badMessage("USERINFO_IN_TARGET", false);
  if (scanAuthority(head.buf, ts + schemeLen, ts + end) < 0) throw badMessage("BAD_TARGET", false);
  head.pathStart = end;
}

/**
 * An absolute-form target's authority replaces Host (RFC 9112 §3.2.2): a Host that names another
 * server is refused (routing and the backend must not see two different hosts), and a HTTP/1.0
 * request without Host takes the authority as its host.
 */
function matchAuthority(head: RequestHead, ts: number): void {
  const t = head.target;
  const schemeLen = t.charCodeAt(4) === 0x3a ? 7 : 8;
  if (head.hostStart < 0) {
    head.hostStart = ts + schemeLen;
    head.hostEnd = ts + head.pathStart;
    return;
  }
  if (!sameAuthority(t.slice(schemeLen, head.pathStart), head.host, schemeLen === 7 ? 80 : 443)) {
    throw badMessage("HOST_MISMATCH", false);
  }
}

/** Exactly one Host in HTTP/1.1 (RFC 9112 §3.2), none or one in 1.0, a valid authority (src/net's scanAuthority). */
function readHost(head: RequestHead): void {
  const f = head.fields, buf = head.buf;
  let found = -1;
  if (head.has(H.HOST)) {
    for (let i = 0; i < head.count; i++) {
      if (f[i * FIELD_STRIDE + 4] !== H.HOST) continue;
      if (found >= 0) throw badMessage("DUPLICATE_HOST", false);
      found = i;
    }
  }
  if (found < 0) {
    if (head.versionMinor === 1) throw badMessage("MISSING_HOST", false);
    return;
  }
  const s = f[found * FIELD_STRIDE + 2]!, e = f[found * FIELD_STRIDE + 3]!;
  if (scanAuthority(buf, s, e) < 0) throw badMessage("BAD_HOST", false);
  head.hostStart = s;
  head.hostEnd = e;
}
