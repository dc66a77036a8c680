/**
 * What the codec throws inside itself when a peer breaks the protocol (never across its API: the
 * connection turns it into a RST_STREAM or a GOAWAY). `reason` is a stable SCREAMING_SNAKE detail
 * for logs and counters; `code` is the RFC 9113 §7 error code sent to the peer.
 */
import type { ErrorCode } from "./constants.ts";

export class H2Error extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    /** 0: a connection error (GOAWAY); otherwise the stream to reset (RFC 9113 §5.4). */
    readonly streamId = 0,
  ) {
    super(reason);
    this.name = "H2Error";
  }
}

/** A connection error: GOAWAY with `code`, then the connection closes (RFC 9113 §5.4.1). */
export function connectionError(code: ErrorCode, reason: string): H2Error {
  return new H2Error(code, reason, 0);
}

/** A stream error: RST_STREAM with `code`; the connection carries on (RFC 9113 §5.4.2). */
export function streamError(streamId: number, code: ErrorCode, reason: string): H2Error {
  return new H2Error(code, reason, streamId);
}
