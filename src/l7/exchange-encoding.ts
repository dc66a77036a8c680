/**
 * An exchange's response body through its compressor (compress/): what the encoder makes goes to
 * the client side and counts as sent; its own in/out counts are kept for the access log.
 */
import type { ResponseHead } from "../http/index.ts";
import { startEncoding as start, type BodyEncoder, type BodySink, type CompressPolicy } from "./compress/index.ts";
import type { RequestCtx } from "./ctx.ts";

/** An encoder for this response when the policy and the client allow one (its coding noted on `ex`). */
export function startEncoding(ex: RequestCtx, res: ResponseHead, policy: CompressPolicy): BodyEncoder | null {
  const enc = start(ex, res, policy);
  if (enc !== null) ex.contentCoding = enc.coding;
  return enc;
}

/** A body piece through `enc` to `sink`; false when the backend should pause. Throws what the encoder throws. */
export function encodePiece(ex: RequestCtx, enc: BodyEncoder, sink: BodySink, buf: Buffer, start: number, end: number): boolean {
  const before = enc.bytesOut;
  const ok = enc.write(buf, start, end, sink);
  ex.bytesOut += enc.bytesOut - before;
  return ok;
}

/** The encoder's last bytes (none when the response was cut short), then its counts; released either way. */
export function endEncoding(ex: RequestCtx, enc: BodyEncoder, sink: BodySink, finished: boolean): void {
  const before = enc.bytesOut;
  try {
    if (finished) enc.finish(sink);
  } finally {
    enc.release();
    ex.bytesOut += enc.bytesOut - before;
    ex.compressedIn = enc.bytesIn;
    ex.compressedOut = enc.bytesOut;
  }
}
