/**
 * One exchange carried as a stream of an HTTP/2 backend connection (the UpstreamLeg of h2 and h2c
 * pools): the request head as HEADERS (pseudo-headers from the routed target and host, hop-by-hop
 * fields dropped, the forwarding fields added, TE: trailers kept for gRPC), the body as DATA, the
 * end as END_STREAM or trailers; the response comes back as exchange events. Ending a leg early
 * resets only its stream: the connection goes on carrying the others.
 */
import { LbError } from "../errors.ts";
import { BodyKind, H, HOP_BY_HOP } from "../http/index.ts";
import { ErrorCode, StreamState, type H2Stream, type H2StreamHandler, type HeaderList } from "../h2/index.ts";
import { DROPPED_MASK, markDropped } from "./field-drop.ts";
import { forwardingFields, requestDropMask } from "./forwarded.ts";
import { appendFields, appendLines } from "./h2-fields.ts";
import { responseHeadOf } from "./h2-heads.ts";
import type { H2UpstreamConn } from "./h2-upstream-conn.ts";
import { trailerPairs, type Trailers } from "./trailers.ts";
import type { LegOwner, UpstreamLeg } from "./upstream-leg.ts";

const EMPTY = Buffer.alloc(0);

export class H2Leg implements UpstreamLeg, H2StreamHandler {
  readonly reused: boolean;
  private stream: H2Stream | null = null;
  /** The slot on the connection was given back (exactly once). */
  private done = false;
  /** A final response head arrived (after it, nothing may be retried). */
  private responded = false;
  private headRequest = false;

  constructor(readonly conn: H2UpstreamConn, private readonly owner: LegOwner) {
    this.reused = conn.served > 0;
    conn.load++;
    conn.served++;
  }

  // ---- UpstreamLeg: the request ----

  sendHead(ex: LegOwner): void {
    const req = ex.req;
    this.headRequest = req.method === "HEAD";
    markDropped(req, ex.dropRequestFields);
    const host = ex.upstreamHost ?? (req.hostStart >= 0 ? req.host : this.conn.address);
    const path = ex.upstreamTarget ?? (req.pathStart === 0 ? req.target : req.pathStart < 0 ? "*" : req.target.slice(req.pathStart) || "/");
    const drop = HOP_BY_HOP | (1 << H.HOST) | requestDropMask(req, ex.trustForwarded) | DROPPED_MASK;
    const fields = appendFields(req, drop, []);
    if (req.lengthRewrite) fields.push("content-length", String(req.contentLength));
    appendLines(forwardingFields(req, ex.client.identity, ex.clientAddress, ex.trustForwarded, ex.generatedId), fields);
    if (ex.addRequestFields.length > 0) appendLines(ex.addRequestFields, fields);
    // TE is hop-by-hop, but "trailers" is what gRPC servers require to see (RFC 9113 §8.2.2 allows it)
    if (req.has(H.TE) && /\btrailers\b/i.test(req.getAll("te").join(","))) fields.push("te", "trailers");
    const endStream = req.bodyKind === BodyKind.None;
    this.stream = this.conn.h2.request(this, { method: req.method, scheme: this.conn.scheme, authority: host, path, fields }, endStream);
    if (this.stream === null) {
      // the connection stopped taking streams since it was chosen (a GOAWAY in between): nothing was sent
      const err = this.conn.failure ?? new LbError("UPSTREAM_REFUSED", `${this.conn.address} takes no more streams on this connection`, { retryable: true });
      queueMicrotask(() => this.failed(err));
    }
  }

  sendBody(buf: Buffer, start: number, end: number): boolean {
    const s = this.stream;
    return s === null || this.conn.h2.sendData(s, buf, start, end, false);
  }

  sendEnd(trailers: Trailers | null): void {
    const s = this.stream;
    if (s === null || !s.writable || s.endQueued) return;
    const pairs = trailers === null ? null : trailerPairs(trailers);
    if (pairs !== null && pairs.length > 0) this.conn.h2.sendTrailers(s, pairs);
    else this.conn.h2.sendData(s, EMPTY, 0, 0, true);
  }

  cork(): void {
    this.conn.h2.enter();
  }

  uncork(): void {
    this.conn.h2.leave();
  }

  pause(): void {
    if (this.stream !== null) this.conn.h2.pause(this.stream);
  }

  resume(): void {
    if (this.stream !== null) this.conn.h2.resume(this.stream);
  }

  tunnelWrite(): boolean {
    return true; // HTTP/2 has no 101: an exchange on a stream never tunnels
  }

  tunnelEnd(): void {}

  release(): void {
    this.finish(ErrorCode.CANCEL);
  }

  abandon(): void {
    this.finish(ErrorCode.CANCEL);
  }

  destroy(): void {
    this.finish(ErrorCode.CANCEL);
  }

  /** Gives the slot back; a stream still open is reset (the backend may stop working on it). */
  private finish(code: number): void {
    if (this.done) return;
    this.done = true;
    const s = this.stream;
    if (s !== null && s.state !== StreamState.Closed) this.conn.h2.reset(s, code);
    this.conn.streamDone(Date.now());
  }

  // ---- H2StreamHandler: the response ----

  onHeaders(_s: H2Stream, list: HeaderList, endStream: boolean): void {
    if (this.done) return;
    if (list.status >= 200) this.responded = true;
    this.owner.responseHead(responseHeadOf(list, endStream, this.headRequest));
    if (endStream && list.status >= 200) this.ended(null);
  }

  onData(_s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (this.done) return;
    if (end > start) this.owner.responseBody(buf, start, end);
    if (endStream) this.ended(null);
  }

  onTrailers(_s: H2Stream, trailers: HeaderList): void {
    this.ended(trailers.entries().flat());
  }

  /** The response ended; the exchange completes unless it let go of this leg meanwhile (a retry, a failure). */
  private ended(trailers: Trailers | null): void {
    if (this.done) return;
    this.owner.responseEnd(trailers);
    if (!this.done) this.owner.complete(true);
  }

  onReset(_s: H2Stream, code: number, reason: string): void {
    this.failed(this.resetError(code, reason));
  }

  onWritable(): void {
    this.owner.onUpstreamDrain();
  }

  /** What a reset says: unprocessed (safe to resend anywhere), the connection's failure, or a reset. */
  private resetError(code: number, reason: string): LbError {
    if (code === ErrorCode.REFUSED_STREAM && !this.responded) {
      return new LbError("UPSTREAM_REFUSED", `${this.conn.address} refused the stream unprocessed (${reason})`, { retryable: true });
    }
    const f = this.conn.failure;
    if (f !== null) return f;
    return new LbError("UPSTREAM_RESET", `backend ${this.conn.address} reset the stream (${reason})`, {
      retryable: !this.responded, details: [{ code, beforeResponse: !this.responded, reused: this.reused }],
    });
  }

  /** The stream ended abnormally: the slot is given back and the exchange told (unless it let go first). */
  private failed(err: LbError): void {
    if (this.done) return;
    this.done = true;
    this.conn.streamDone(Date.now());
    this.owner.upstreamFailed(err, this.responded);
  }
}
