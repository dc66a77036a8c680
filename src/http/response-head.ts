/** Response head parsing (RFC 9112 §4, §6.3): status line, fields and body length. */
import { CR, FIELD_VALUE, LF, SP } from "./chars.ts";
import { newResponseHead, type HeadStore } from "./head-store.ts";
import { scanFields } from "./fields.ts";
import { applyFraming } from "./framing.ts";
import { BodyKind, FIELD_STRIDE, ResponseHead } from "./head.ts";
import type { HttpLimits } from "./limits.ts";
import { badMessage } from "./parse-error.ts";

/**
 * Parses one complete response head at buf[start, end) (status line through the empty line). The
 * body length depends on the request: `headRequest` (HEAD) and `connectRequest` (CONNECT) change
 * it, as do 1xx, 204 and 304 (RFC 9112 §6.3). Errors are HttpParseError UPSTREAM_PROTOCOL (502).
 * The head and its offsets are new, or `store`'s (valid until its next head).
 */
export function parseResponseHead(
  buf: Buffer, start: number, end: number, scratch: Int32Array, limits: HttpLimits, headRequest: boolean, connectRequest: boolean,
  store: HeadStore | null = null,
): ResponseHead {
  const b = start;
  const minor = statusVersion(buf, b);
  const d0 = buf[b + 9]! - 0x30, d1 = buf[b + 10]! - 0x30, d2 = buf[b + 11]! - 0x30;
  if (minor < 0 || buf[b + 8] !== SP || !digit(d0) || !digit(d1) || !digit(d2) || d0 < 1) {
    throw badMessage("BAD_STATUS_LINE", true);
  }
  let lineEnd = b + 12;
  if (buf[lineEnd] === SP) {
    lineEnd++;
    while (FIELD_VALUE[buf[lineEnd]!] === 1) lineEnd++;
  }
  if (buf[lineEnd] !== CR) throw badMessage(buf[lineEnd] === LF ? "BARE_LF" : "BAD_STATUS_LINE", true);
  if (buf[lineEnd + 1] !== LF) throw badMessage("BARE_CR", true);
  const count = scanFields(buf, lineEnd + 2, end - 2, scratch, limits.maxHeaderCount, true);
  const head = newResponseHead(store, scratch, count * FIELD_STRIDE, buf, start, end, count, lineEnd + 2);
  head.versionMinor = minor;
  head.status = d0 * 100 + d1 * 10 + d2;
  applyFraming(head, true);
  head.bodyKind = responseBodyKind(head, headRequest, connectRequest);
  if (head.bodyKind === BodyKind.Close) head.keepAlive = false;
  return head;
}

function digit(d: number): boolean {
  return d >= 0 && d <= 9;
}

function statusVersion(buf: Buffer, b: number): number {
  if (buf[b] !== 0x48 || buf[b + 1] !== 0x54 || buf[b + 2] !== 0x54 || buf[b + 3] !== 0x50) return -1;
  if (buf[b + 4] !== 0x2f || buf[b + 5] !== 0x31 || buf[b + 6] !== 0x2e) return -1;
  return buf[b + 7] === 0x31 ? 1 : buf[b + 7] === 0x30 ? 0 : -1;
}

/** RFC 9112 §6.3, in its order: no body for HEAD/1xx/204/304, tunnel for 101 and CONNECT 2xx. */
function responseBodyKind(head: ResponseHead, headRequest: boolean, connectRequest: boolean): BodyKind {
  const s = head.status;
  if (s === 101) return BodyKind.Tunnel;
  if (connectRequest && s >= 200 && s < 300) return BodyKind.Tunnel;
  if (headRequest || s < 200 || s === 204 || s === 304) return BodyKind.None;
  if (head.bodyKind === BodyKind.Chunked) return BodyKind.Chunked;
  if (head.contentLength >= 0) return head.contentLength > 0 ? BodyKind.Length : BodyKind.None;
  return BodyKind.Close;
}
