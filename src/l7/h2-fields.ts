/**
 * Heads as HTTP/2 field lists (name, value, name, value...), for a HEADERS frame to an HTTP/2
 * peer: names lower-case (HTTP/1.1 keeps the case it got), fields whose id bit is in the drop mask
 * left out, and the engine's own field lines (latin1 "name: value" CRLF strings) appended.
 */
import { FIELD_STRIDE, type HttpHead } from "../http/index.ts";
import type { ProxyReply } from "./hooks.ts";

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

/** A proxy-made reply's fields, with its body's `bodyBytes` (hooks' fields with CR or LF are dropped). */
export function replyFields(reply: ProxyReply, bodyBytes: number): string[] {
  const fields: string[] = [];
  if (reply.errorCode !== undefined) fields.push("x-fulcrum-error", reply.errorCode);
  let typed = false;
  for (const [k, v] of Object.entries(reply.fields ?? {})) {
    if (/[\r\n]/.test(k + v)) continue; // never let a hook smuggle a field
    typed ||= k.toLowerCase() === "content-type";
    fields.push(k, v);
  }
  if (!typed && bodyBytes > 0) fields.push("content-type", "text/plain; charset=utf-8");
  // a gRPC error is trailers-only: one HEADERS frame that ends the stream, nothing about a body
  if (reply.fields?.["grpc-status"] === undefined) fields.push("content-length", String(bodyBytes));
  return fields;
}
