/**
 * Heads as HTTP/2 field lists (name, value, name, value...), for a HEADERS frame to an HTTP/2
 * peer: names lower-case (HTTP/1.1 keeps the case it got), fields whose id bit is in the drop mask
 * left out, and the engine's own field lines (latin1 "name: value" CRLF strings) appended.
 */
import { FIELD_STRIDE, type HttpHead } from "../http/index.ts";

/** Appends the kept fields of `head` to `out`. */
export function appendFields(head: HttpHead, dropMask: number, out: string[]): string[] {
  const f = head.fields, buf = head.buf, lower = head.framed;
  for (let i = 0; i < head.count; i++) {
    const o = i * FIELD_STRIDE;
    if ((dropMask & (1 << f[o + 4]!)) !== 0) continue;
    const name = buf.toString("latin1", f[o]!, f[o + 1]!);
    out.push(lower ? name.toLowerCase() : name, buf.toString("latin1", f[o + 2]!, f[o + 3]!));
  }
  return out;
}

/** Appends the field lines in `lines` ("name: value\r\n"...) to `out`, names lower-cased. */
export function appendLines(lines: string, out: string[]): string[] {
  let at = 0;
  while (at < lines.length) {
    let eol = lines.indexOf("\r\n", at);
    if (eol < 0) eol = lines.length;
    const colon = lines.indexOf(":", at);
    if (colon > at && colon < eol) out.push(lines.slice(at, colon).toLowerCase(), lines.slice(colon + 1, eol).trim());
    at = eol + 2;
  }
  return out;
}
