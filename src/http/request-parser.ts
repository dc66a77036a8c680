/** The incremental request parser: one per client connection. */
import { CR, LF } from "./chars.ts";
import type { RequestHead } from "./head.ts";
import { DEFAULT_LIMITS, type HttpLimits } from "./limits.ts";
import { MessageParser, type MessageHandler } from "./message-parser.ts";
import { parseRequestHead } from "./request-head.ts";

/**
 * Parses requests from a client byte stream (see MessageParser for the feed contract). Empty lines
 * before a request line are skipped (RFC 9112 §2.2); everything else must be exact.
 */
export class RequestParser extends MessageParser<RequestHead> {
  constructor(handler: MessageHandler<RequestHead>, limits: HttpLimits = DEFAULT_LIMITS) {
    super(handler, limits, false);
  }

  protected parseHead(buf: Buffer, start: number, end: number): RequestHead | null {
    let s = start;
    while (s + 1 < end && buf[s] === CR && buf[s + 1] === LF) s += 2;
    if (s === end) return null;
    return parseRequestHead(buf, s, end, this.scratch, this.limits, this.heads);
  }
}
