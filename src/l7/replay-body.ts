/**
 * Copies of a request body kept so a failed attempt can be sent again (a route that may retry
 * keeps up to its replayBodyBytes, as Envoy buffers up to its per-request limit): once the body
 * outgrows the limit nothing more is kept and the request can no longer be replayed.
 */
export class ReplayBody {
  private parts: Buffer[] | null = [];
  private bytes = 0;

  /** Keeps a copy of buf[start, end) (the buffer it came in is the parser's) while under `limit`. */
  keep(buf: Buffer, start: number, end: number, limit: number): void {
    if (this.parts === null) return;
    if (this.bytes + end - start > limit) {
      this.parts = null;
      return;
    }
    this.parts.push(Buffer.from(buf.subarray(start, end)));
    this.bytes += end - start;
  }

  /** Every one of `read` body bytes is kept. */
  covers(read: number): boolean {
    return read === 0 || (this.parts !== null && this.bytes === read);
  }

  /** The kept pieces, in order ([] when none or no longer kept). */
  pieces(): readonly Buffer[] {
    return this.parts ?? [];
  }
}
