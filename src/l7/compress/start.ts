/**
 * Whether a response is compressed, and its head made to say so. A response is eligible when it
 * has a body (not HEAD, 1xx, 204, 304), is not a range (no Range asked, not 206, no
 * Content-Range), is not encoded already, is not marked no-transform (by either side), declares
 * no Content-Length below min_bytes, has a listed media type (never gRPC), and comes to an
 * HTTP/1.1 or HTTP/2 client (nginx's gzip_http_version 1.1: a 1.0 client cannot take chunks).
 * An eligible response gets `Vary: Accept-Encoding` whether or not this client accepts a coding
 * (as nginx's gzip_vary), so caches keep the versions apart. A compressed one loses its
 * Content-Length (it streams: chunked for HTTP/1.1, DATA frames for HTTP/2) and Accept-Ranges,
 * and its ETag is made weak (the bytes differ, the meaning does not), as nginx does.
 */
import { BodyKind, equalsLower, FIELD_STRIDE, H, type HttpHead, type RequestHead, type ResponseHead } from "../../http/index.ts";
import { dropFieldAt } from "../field-drop.ts";
import { negotiate } from "./accept-encoding.ts";
import { BodyEncoder } from "./encoder.ts";
import type { CompressPolicy } from "./policy.ts";

/** What the decision reads and edits of the exchange. */
export interface EncodingCtx {
  readonly req: RequestHead;
  addResponseFields: string;
}

/** Decides for `res` under `policy`: the encoder to stream its body through (head edited), or null. */
export function startEncoding(ctx: EncodingCtx, res: ResponseHead, policy: CompressPolicy): BodyEncoder | null {
  if (!eligible(ctx.req, res, policy)) return null;
  if (!varies(res)) ctx.addResponseFields += "vary: Accept-Encoding\r\n";
  const coding = negotiate(ctx.req, policy.algorithms);
  if (coding === null) return null;
  ctx.addResponseFields += encodedHead(res, coding);
  return new BodyEncoder(coding, policy.levels[coding]);
}

function eligible(req: RequestHead, res: ResponseHead, p: CompressPolicy): boolean {
  const kind = res.bodyKind;
  if (kind !== BodyKind.Length && kind !== BodyKind.Chunked && kind !== BodyKind.Close) return false;
  if (res.status === 206 || req.versionMinor === 0 || req.method === "HEAD") return false;
  if (res.contentLength >= 0 && res.contentLength < p.minBytes) return false;
  if (res.indexOf("content-encoding") >= 0 || res.indexOf("content-range") >= 0 || req.indexOf("range") >= 0) return false;
  return typeListed(res.get("content-type"), p) && !noTransform(res) && !noTransform(req);
}

/** The media type (parameters dropped) is listed, exactly, by family, or by "*"; never gRPC's. */
function typeListed(value: string | undefined, p: CompressPolicy): boolean {
  if (value === undefined) return p.anyType;
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (type.startsWith("application/grpc")) return false; // gRPC frames its own messages (and compresses them itself)
  if (p.anyType || p.types.includes(type)) return true;
  for (const prefix of p.typePrefixes) if (type.startsWith(prefix)) return true;
  return false;
}

/** Cache-Control: no-transform (RFC 9111 §5.2.1.6, §5.2.2.6): intermediaries leave the content alone. */
function noTransform(head: HttpHead): boolean {
  for (let i = head.indexOf("cache-control"); i >= 0; i = head.indexOf("cache-control", i + 1)) {
    if (head.valueAt(i).toLowerCase().includes("no-transform")) return true;
  }
  return false;
}

/** The response already varies by Accept-Encoding (or by everything). */
function varies(res: ResponseHead): boolean {
  for (let i = res.indexOf("vary"); i >= 0; i = res.indexOf("vary", i + 1)) {
    const v = res.valueAt(i).toLowerCase();
    if (v.includes("accept-encoding") || v.includes("*")) return true;
  }
  return false;
}

/** Drops the framing, Accept-Ranges and a strong ETag from `res`; returns the field lines to add. */
function encodedHead(res: ResponseHead, coding: string): string {
  let lines = `content-encoding: ${coding}\r\n`;
  const f = res.fields;
  for (let i = 0; i < res.count; i++) {
    const id = f[i * FIELD_STRIDE + 4]!;
    if (id === H.CONTENT_LENGTH || id === H.TRANSFER_ENCODING) dropFieldAt(res, i);
    else if (id !== H.OTHER) continue;
    else if (isNamed(res, i, "accept-ranges")) dropFieldAt(res, i);
    else if (isNamed(res, i, "etag")) {
      const tag = res.valueAt(i);
      if (tag.startsWith("W/")) continue;
      dropFieldAt(res, i);
      lines += `etag: W/${tag}\r\n`;
    }
  }
  res.lengthRewrite = false;
  return lines;
}

function isNamed(head: HttpHead, i: number, lower: string): boolean {
  const f = head.fields, o = i * FIELD_STRIDE;
  return f[o + 1]! - f[o]! === lower.length && equalsLower(head.buf, f[o]!, lower);
}
