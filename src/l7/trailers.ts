/**
 * Trailer fields between codecs: HTTP/1.1 brings them as the chunked trailer's field lines (raw
 * bytes, each line ending in CRLF), HTTP/2 as a field list. Each side converts what it got into
 * its own framing; only messages that carry trailers (gRPC's status, above all) pay for it.
 */

/** Raw HTTP/1.1 trailer field lines, or name, value, name, value... */
export type Trailers = Buffer | readonly string[];

/** Names a trailer section must not carry on to the other side (RFC 9110 §6.5.1: framing, routing, hop-by-hop). */
const FORBIDDEN: ReadonlySet<string> = new Set([
  "content-length", "transfer-encoding", "host", "connection", "keep-alive", "proxy-connection", "te", "upgrade", "trailer",
]);

/** The trailers as lower-case name, value pairs, forbidden fields left out. */
export function trailerPairs(t: Trailers): string[] {
  const out: string[] = [];
  if (!Buffer.isBuffer(t)) {
    for (let i = 0; i + 1 < t.length; i += 2) {
      const name = t[i]!.toLowerCase();
      if (!FORBIDDEN.has(name)) out.push(name, t[i + 1]!);
    }
    return out;
  }
  for (const line of t.toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!FORBIDDEN.has(name)) out.push(name, line.slice(colon + 1).trim());
  }
  return out;
}

/** The trailers as HTTP/1.1 field lines (each ending in CRLF), forbidden fields left out; null if none are left. */
export function trailerLines(t: Trailers): Buffer | null {
  const pairs = trailerPairs(t);
  if (pairs.length === 0) return null;
  let s = "";
  for (let i = 0; i < pairs.length; i += 2) s += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
  return Buffer.from(s, "latin1");
}
