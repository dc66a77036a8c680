/**
 * The response direction of an exchange: backend bytes through the response parser to the client,
 * with backpressure (a full client socket pauses the backend socket until it drains), 1xx heads
 * passed on, and a 101 turning both connections into a byte tunnel.
 */
import { LbError } from "../errors.ts";
import { BodyKind, FRAMING_FIELDS, H, HOP_BY_HOP, emitResponseHead, type ResponseHead } from "../http/index.ts";
import type { Exchange } from "./exchange.ts";
import { DROPPED_MASK, markDropped } from "./field-drop.ts";
import type { UpstreamConn } from "./upstream-conn.ts";
import { upgradeAnswered } from "./upgrade.ts";

/** Hop-by-hop fields minus Transfer-Encoding: a chunked body is relayed with its framing intact. */
const DROP_RAW_CHUNKED = HOP_BY_HOP & ~(1 << H.TRANSFER_ENCODING);
/** A 1xx head: hop-by-hop fields and framing (no body follows it). */
const INTERIM_DROP = HOP_BY_HOP | FRAMING_FIELDS;
/** A 101 keeps its Upgrade (checked against the offer); Connection is written anew as "upgrade". */
const SWITCH_DROP = INTERIM_DROP & ~(1 << H.UPGRADE);

/** Bytes from the backend; one client write per backend packet (head and body leave together). */
export function relayData(ex: Exchange, conn: UpstreamConn, data: Buffer): void {
  const w = ex.session.writer;
  w.cork();
  relayPacket(ex, conn, data);
  w.uncork();
}

/** Parses (stopping after each message so leftovers are noticed) or tunnels one packet. */
function relayPacket(ex: Exchange, conn: UpstreamConn, data: Buffer): void {
  ex.session.touch();
  if (ex.tunnel) {
    ex.bytesOut += data.length;
    if (!ex.session.writer.write(data)) conn.pause();
    return;
  }
  let pos = 0;
  while (pos < data.length && !ex.finished) {
    const r = conn.parser.feed(data, pos);
    if (ex.conn !== conn) return; // the response was discarded for a retry
    if (r < 0) return ex.fail(conn.parser.error!);
    pos = r;
    if (ex.tunnel) {
      ex.bytesOut += data.length - pos;
      if (pos < data.length && !ex.session.writer.write(data, pos, data.length)) conn.pause();
      return;
    }
    if (ex.responseDone) break;
  }
  // bytes after the response: the backend cannot be trusted with another request
  if (ex.responseDone && ex.requestDone) ex.complete(pos === data.length);
}

/** A response head: 1xx are passed on, 101 starts a tunnel, the final head goes to the client. */
export function relayHead(ex: Exchange, res: ResponseHead): void {
  const session = ex.session, req = ex.req;
  if (res.bodyKind === BodyKind.Tunnel) return relaySwitch(ex, res);
  if (res.status < 200) {
    // the hop-by-hop filter of a final head, and no framing fields: no body follows a 1xx (RFC 9110 §8.6)
    if (req.versionMinor === 1) emitResponseHead(res, INTERIM_DROP, "", session.writer);
    return;
  }
  const hooks = session.server.hooks;
  if (hooks.retryOnResponse && ex.replayable() && ex.attempt < 10 && hooks.retryOnResponse(ex, res)) {
    return ex.retryAfterResponse();
  }
  ex.res = res;
  ex.responseStartedAt = performance.now();
  hooks.onResponse?.(ex, res);
  markDropped(res, ex.dropResponseFields);
  const client10 = req.versionMinor === 0;
  // A response that comes while the client is still sending its body ends the connection (the
  // rest of the upload is not read): the head must say so, not only the close after it.
  if (res.bodyKind === BodyKind.Close || (client10 && res.bodyKind === BodyKind.Chunked) || session.server.draining || !ex.bodyRead()) {
    ex.closeAfter = true;
  }
  let extra = ex.addResponseFields;
  if (ex.closeAfter) extra += "connection: close\r\n";
  else if (client10) extra += "connection: keep-alive\r\n";
  let drop = (client10 ? HOP_BY_HOP : DROP_RAW_CHUNKED) | DROPPED_MASK;
  // RFC 9110 §7.6.1 lets an intermediary replace Connection with its own options: when the
  // backend's says just "keep-alive" and so do we, the line can stay, and the head goes unchanged
  if (res.connectionIsKeepAlive && !ex.closeAfter && !client10) drop &= ~(1 << H.CONNECTION);
  if (res.status === 204 || res.status === 304) drop |= FRAMING_FIELDS; // no body follows, as nginx and HAProxy
  else if (res.lengthRewrite) {
    drop |= 1 << H.CONTENT_LENGTH;
    extra += `content-length: ${res.contentLength}\r\n`;
  }
  ex.status = res.status;
  ex.headSent = true;
  session.streaming();
  if (!emitResponseHead(res, drop, extra, session.writer)) ex.conn?.pause();
}

/**
 * A 101 (or a CONNECT 2xx, which never gets here: CONNECT is refused) turns both connections into
 * a tunnel, only when it switches to a protocol the request offered; otherwise the client gets a
 * 502 BAD_UPGRADE and its connection closes (bytes it sent after the request were for the tunnel).
 */
function relaySwitch(ex: Exchange, res: ResponseHead): void {
  const session = ex.session;
  if (res.status !== 101) return ex.fail(new LbError("UPSTREAM_PROTOCOL", "unexpected tunnel response"));
  if (ex.upgradeOffer === null || !upgradeAnswered(res, ex.upgradeOffer)) {
    ex.closeAfter = true;
    const why = ex.upgradeOffer === null ? "no upgrade was offered" : `the offer was ${ex.upgradeOffer}`;
    return ex.fail(new LbError("BAD_UPGRADE", `the backend switched protocols, but ${why}`, { source: "upstream" }));
  }
  ex.res = res;
  ex.status = 101;
  ex.headSent = true;
  ex.tunnel = true;
  ex.responseStartedAt = performance.now();
  emitResponseHead(res, SWITCH_DROP, "connection: upgrade\r\n", session.writer);
  session.startTunnel();
}

/** A piece of response body (raw chunked framing included when the client speaks HTTP/1.1). */
export function relayBody(ex: Exchange, buf: Buffer, start: number, end: number): void {
  ex.bytesOut += end - start;
  if (!ex.session.writer.write(buf, start, end)) ex.conn?.pause();
}

/** End of a message: 1xx ends are ignored; the final one completes the exchange once safe. */
export function relayEnd(ex: Exchange): void {
  if (ex.res === null || ex.tunnel) return;
  ex.responseDone = true;
  // A close-delimited body ends from feedEof, outside relayData: complete here.
  if (ex.res.bodyKind === BodyKind.Close) ex.complete(false);
  else if (!ex.requestDone) {
    // the backend answered before the request body was sent: finish, then close the client
    ex.complete(false);
  }
}

/** The backend connection failed or closed: end a close-delimited body, retry, or fail. */
export function relayClose(ex: Exchange, conn: UpstreamConn, err: LbError): void {
  if (conn !== ex.conn || ex.finished) return;
  if (ex.tunnel) return ex.complete(false);
  if (conn.parser.feedEof() === null && ex.finished) return; // a close-delimited body just ended
  if (ex.res === null && conn.received === 0 && ex.replayable() && shouldRetry(ex, conn, err)) return ex.retry();
  ex.fail(conn.received > 0 && !ex.headSent ? new LbError("UPSTREAM_PROTOCOL", "backend closed mid-response", { cause: err }) : err);
}

/** The hook decides; by default one retry of a bodiless request on a reused connection (keep-alive race). */
function shouldRetry(ex: Exchange, conn: UpstreamConn, err: LbError): boolean {
  if (ex.attempt >= 10) return false;
  const hook = ex.session.server.hooks.onConnectFailure;
  if (hook !== undefined) return hook(ex, err);
  return err.retryable && ex.req.bodyKind === BodyKind.None && conn.uses > 0 && ex.attempt < 2;
}
