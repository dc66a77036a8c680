/**
 * The one error the codec raises. `reason` is a stable SCREAMING_SNAKE detail (`TE_AND_CL`,
 * `OBS_FOLD`, ...) under the LbError code that picks the status: BAD_REQUEST 400,
 * HEADERS_TOO_LARGE 431, URI_TOO_LONG 414, UPSTREAM_PROTOCOL 502 (a malformed response).
 * After one, the parser is in a terminal state and the connection must be closed.
 */
import { LbError, type ErrorCode } from "../errors.ts";
import type { PathProblem } from "../net/index.ts";

/** Why a message was rejected; stable strings, used in tests and access logs. */
export type ParseReason =
  | "BAD_METHOD" | "BAD_TARGET" | "BAD_VERSION" | "BAD_REQUEST_LINE" | "BAD_STATUS_LINE"
  | "BARE_CR" | "BARE_LF" | "OBS_FOLD" | "WS_BEFORE_COLON" | "BAD_HEADER_NAME" | "BAD_HEADER_VALUE"
  | "TE_AND_CL" | "BAD_TRANSFER_ENCODING" | "TE_IN_HTTP10" | "BAD_CONTENT_LENGTH" | "DIFFERING_CONTENT_LENGTH"
  | "MISSING_HOST" | "DUPLICATE_HOST" | "BAD_HOST" | "USERINFO_IN_TARGET" | "HOST_MISMATCH"
  | PathProblem
  | "BAD_CHUNK_SIZE" | "CHUNK_SIZE_TOO_LONG" | "BAD_CHUNK_EXT" | "CHUNK_EXT_TOO_LONG" | "BAD_CHUNK_END"
  | "TRAILERS_TOO_LARGE" | "HEADERS_TOO_LARGE" | "TOO_MANY_HEADERS" | "REQUEST_LINE_TOO_LONG"
  | "PREMATURE_EOF";

/** A codec rejection: an LbError whose `reason` names the exact rule broken. */
export class HttpParseError extends LbError {
  readonly reason: ParseReason;
  constructor(code: ErrorCode, reason: ParseReason, upstream = false) {
    super(code, `malformed HTTP message: ${reason}`, { source: upstream ? "upstream" : "downstream", details: [{ reason }] });
    this.reason = reason;
  }
}

/** A 400 (or, from a backend, a 502 UPSTREAM_PROTOCOL) for a grammar or framing violation. */
export function badMessage(reason: ParseReason, upstream: boolean): HttpParseError {
  return new HttpParseError(upstream ? "UPSTREAM_PROTOCOL" : "BAD_REQUEST", reason, upstream);
}

/** A 431 (or 502 from a backend) when the head is bigger than allowed. */
export function tooLarge(reason: ParseReason, upstream: boolean): HttpParseError {
  return new HttpParseError(upstream ? "UPSTREAM_PROTOCOL" : "HEADERS_TOO_LARGE", reason, upstream);
}
