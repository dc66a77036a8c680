/** The incremental response parser: one per upstream connection use. */
import type { ResponseHead } from "./head.ts";
import { DEFAULT_LIMITS, type HttpLimits } from "./limits.ts";
import { MessageParser, type MessageHandler } from "./message-parser.ts";
import { parseResponseHead } from "./response-head.ts";

/**
 * Parses responses from a backend byte stream. Before each request is sent, call `expect(method)`
 * so HEAD and CONNECT responses are framed right (RFC 9112 §6.3). 1xx heads are reported as
 * messages of their own; the final response follows on the next feed.
 */
export class ResponseParser extends MessageParser<ResponseHead> {
  private headRequest = false;
  private connectRequest = false;

  constructor(handler: MessageHandler<ResponseHead>, limits: HttpLimits = DEFAULT_LIMITS) {
    super(handler, limits, true);
  }

  /** Declares the method of the request whose response comes next. */
  expect(method: string): void {
    this.headRequest = method === "HEAD";
    this.connectRequest = method === "CONNECT";
  }

  protected parseHead(buf: Buffer, start: number, end: number): ResponseHead {
    return parseResponseHead(buf, start, end, this.scratch, this.limits, this.headRequest, this.connectRequest, this.heads);
  }
}
