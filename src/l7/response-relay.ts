/**
 * An HTTP/1.1 backend's response bytes as exchange events: the response parser's head, body and
 * end, one client write per backend packet, leftovers after the response noticed (the connection
 * is then not reused), a close-delimited body ended by EOF, and the retry-or-fail decision when
 * the connection breaks. Only the exchange changes its own phase; this file calls its transitions.
 */
import type { LbError } from "../errors.ts";
import type { Exchange } from "./exchange.ts";
import { Phase } from "./exchange-phase.ts";
import type { UpstreamConn } from "./upstream-conn.ts";

/** Bytes from the backend; one client write per backend packet (head and body leave together). */
export function relayData(ex: Exchange, conn: UpstreamConn, data: Buffer): void {
  const client = ex.client;
  client.cork();
  relayPacket(ex, conn, data);
  client.uncork();
  // the exchange is over (logged too): the connection's parser must not keep this packet alive
  if (ex.finished) conn.parser.letGoOfHead();
}

/** Parses (stopping after each message so leftovers are noticed) or tunnels one packet. */
function relayPacket(ex: Exchange, conn: UpstreamConn, data: Buffer): void {
  ex.client.touch();
  if (ex.tunnel) {
    ex.bytesOut += data.length;
    if (!ex.client.writeBody(data, 0, data.length)) conn.pause();
    return;
  }
  let pos = 0;
  while (pos < data.length && !ex.finished) {
    const r = conn.parser.feed(data, pos);
    if (ex.up !== conn) return; // the response was discarded for a retry
    if (r < 0) return ex.fail(conn.parser.error!);
    pos = r;
    if (ex.tunnel) {
      ex.bytesOut += data.length - pos;
      if (pos < data.length && !ex.client.writeBody(data, pos, data.length)) conn.pause();
      return;
    }
    if (ex.phase === Phase.Relayed) break;
  }
  // bytes after the response: the backend cannot be trusted with another request
  if (ex.phase === Phase.Relayed && ex.requestDone) ex.complete(pos === data.length);
}

/** End of a message: a 1xx's end is ignored; the final one relays its end. */
export function relayEnd(ex: Exchange, trailers: Buffer | null): void {
  if (ex.phase !== Phase.Responding) return;
  // a raw chunked relay already carried the trailers to the client
  const conn = ex.up as UpstreamConn | null;
  ex.responseEnd(conn !== null && conn.parser.raw ? null : trailers);
}

/** The backend connection failed or closed: a close-delimited body ends; anything else is a failure. */
export function relayClose(ex: Exchange, conn: UpstreamConn, err: LbError): void {
  if (conn !== ex.up || ex.finished) return;
  if (!ex.tunnel && conn.parser.feedEof() === null && ex.finished) return; // a close-delimited body just ended
  ex.upstreamFailed(err, conn.received > 0);
}
