/**
 * A request that has no leg to the backend yet: while the client packet that started it is still
 * parsing (no new connection opens before it parsed cleanly) or while it waits in a connection
 * group. The head is sent when the leg comes; body pieces are kept by reference (the buffers they
 * arrived in are not reused) and follow it in order, then the end if it came.
 */
import type { Trailers } from "./trailers.ts";
import type { LegOwner, RequestSink, UpstreamLeg } from "./upstream-leg.ts";

export class HeldRequest implements RequestSink {
  private bufs: Buffer[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private ended = false;
  private trailers: Trailers | null = null;

  sendBody(buf: Buffer, start: number, end: number): boolean {
    if (end <= start) return true;
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
    return true;
  }

  sendEnd(trailers: Trailers | null): void {
    this.ended = true;
    this.trailers = trailers;
  }

  /** Sends everything to `leg` in one corked batch; false when the leg asked to pause. */
  sendTo(leg: UpstreamLeg, ex: LegOwner): boolean {
    leg.cork();
    leg.sendHead(ex);
    let ok = true;
    for (let i = 0; i < this.bufs.length; i++) ok = leg.sendBody(this.bufs[i]!, this.starts[i]!, this.ends[i]!) && ok;
    if (this.ended) leg.sendEnd(this.trailers);
    leg.uncork();
    return ok;
  }
}
