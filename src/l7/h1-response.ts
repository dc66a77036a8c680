/**
 * Response heads for an HTTP/1.x client: hop-by-hop fields dropped, Connection written as the
 * exchange decided (close, or keep-alive for HTTP/1.0), framing kept where it describes the body
 * the client gets. A head that came from an HTTP/1.1 backend is re-sent as runs of its own bytes;
 * one from an HTTP/2 backend field by field, with a status line of our own.
 */
import { BodyKind, FRAMING_FIELDS, H, HOP_BY_HOP, emitResponseHead, type ByteSink, type ResponseHead } from "../http/index.ts";
import type { ClientExchange } from "./client-side.ts";
import { DROPPED_MASK } from "./field-drop.ts";

/** Hop-by-hop fields minus Transfer-Encoding: a chunked body is relayed with its framing intact. */
const DROP_RAW_CHUNKED = HOP_BY_HOP & ~(1 << H.TRANSFER_ENCODING);
/** A 1xx head: hop-by-hop fields and framing (no body follows it). */
const INTERIM_DROP = HOP_BY_HOP | FRAMING_FIELDS;
/** A 101 keeps its Upgrade (checked against the offer); Connection is written anew as "upgrade". */
const SWITCH_DROP = INTERIM_DROP & ~(1 << H.UPGRADE);

/** An interim head, to HTTP/1.1 clients only (RFC 9110 §15.2: a 1.0 client cannot take one). */
export function writeInterimHead(ex: ClientExchange, res: ResponseHead, sink: ByteSink): void {
  // the hop-by-hop filter of a final head, and no framing fields: no body follows a 1xx (RFC 9110 §8.6)
  if (ex.req.versionMinor === 1) emitResponseHead(res, INTERIM_DROP, "", sink);
}

/**
 * The final head; decides whether the client connection ends after it. Returns the sink's verdict
 * (false = pause the source).
 */
export function writeFinalHead(ex: ClientExchange, res: ResponseHead, draining: boolean, chunkOut: boolean, sink: ByteSink): boolean {
  const client10 = ex.req.versionMinor === 0;
  // A response that comes while the client is still sending its body ends the connection (the
  // rest of the upload is not read): the head must say so, not only the close after it.
  if (res.bodyKind === BodyKind.Close || (client10 && res.bodyKind === BodyKind.Chunked) || draining || !ex.bodyRead()) {
    ex.closeClientAfter();
  }
  const closing = ex.closeAfter;
  let extra = ex.addResponseFields;
  if (closing) extra += "connection: close\r\n";
  else if (client10) extra += "connection: keep-alive\r\n";
  let drop = (client10 ? HOP_BY_HOP : DROP_RAW_CHUNKED) | DROPPED_MASK;
  // RFC 9110 §7.6.1 lets an intermediary replace Connection with its own options: when the
  // backend's says just "keep-alive" and so do we, the line can stay, and the head goes unchanged
  if (res.connectionIsKeepAlive && !closing && !client10) drop &= ~(1 << H.CONNECTION);
  if (res.status === 204 || res.status === 304) drop |= FRAMING_FIELDS; // no body follows, as nginx and HAProxy
  else if (chunkOut) extra += "transfer-encoding: chunked\r\n";
  else if (res.lengthRewrite) {
    drop |= 1 << H.CONTENT_LENGTH;
    extra += `content-length: ${res.contentLength}\r\n`;
  }
  return emitResponseHead(res, drop, extra, sink);
}

/** A 101 that opens a tunnel: its Upgrade kept, Connection written as "upgrade". */
export function writeSwitchHead(res: ResponseHead, sink: ByteSink): void {
  emitResponseHead(res, SWITCH_DROP, "connection: upgrade\r\n", sink);
}
