/**
 * One exchange carried as a stream of an HTTP/2 backend connection (the UpstreamLeg of h2 and h2c
 * pools): the request head as HEADERS (pseudo-headers from the routed target and host, hop-by-hop
 * fields dropped, the forwarding fields added, TE: trailers kept for gRPC), the body as DATA, the
 * end as END_STREAM or trailers; the response comes back as exchange events. Until its connection
 * has a stream slot for it (the backend's SETTINGS decide how many) the leg is parked: what the
 * exchange sends is kept, and goes out when the stream opens, on this connection or another one
 * the pool moves it to. Ending a leg early resets only its stream: the connection carries on.
 */
import { LbError } from "../errors.ts";
import { BodyKind, H, HOP_BY_HOP } from "../http/index.ts";
import { ErrorCode, StreamState, type H2Request, type H2Stream, type H2StreamHandler, type HeaderList } from "../h2/index.ts";
import { DROPPED_MASK, markDropped } from "./field-drop.ts";
import { forwardingFields, requestDropMask } from "./forwarded.ts";
import { appendFields, appendLines } from "./h2-fields.ts";
import { responseHeadOf } from "./h2-heads.ts";
import type { H2UpstreamConn } from "./h2-upstream-conn.ts";
import { trailerPairs, type Trailers } from "./trailers.ts";
import type { LegOwner, UpstreamLeg } from "./upstream-leg.ts";

const EMPTY = Buffer.alloc(0);

/** Parked body bytes beyond this make sendBody ask the client to pause. */
const PARKED_LIMIT = 64 * 1024;

export class H2Leg implements UpstreamLeg, H2StreamHandler {
  readonly reused: boolean;
  /** The request head, once the exchange sent it (kept while parked). */
  request: H2Request | null = null;
  private endStream = false;
  private stream: H2Stream | null = null;
  /** Body pieces and the end sent while parked (their buffers are not reused: kept by reference). */
  private parked: Buffer[] | null = null;
  private parkedBytes = 0;
  private parkedEnd: Trailers | null | undefined = undefined;
  /** sendBody returned false while parked: onUpstreamDrain is owed once it has gone out. */
  private owesDrain = false;
  /** The slot on the connection was given back (exactly once). */
  private done = false;
  /** A final response head arrived (after it, nothing may be retried). */
  private responded = false;
  private headRequest = false;

  constructor(public conn: H2UpstreamConn, private readonly owner: LegOwner) {
    this.reused = conn.served > 0;
    conn.load++;
    conn.served++;
  }

  /** Parked: the head is waiting for a stream slot. */
  get waiting(): boolean {
    return this.request !== null && this.stream === null && !this.done;
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
    this.endStream = req.bodyKind === BodyKind.None;
    this.request = { method: req.method, scheme: this.conn.scheme, authority: host, path, fields };
    this.conn.place(this);
  }

  /** Opens the stream now (the connection has a slot) and sends what was parked. */
  open(): void {
    if (this.done || this.request === null || this.stream !== null) return;
    const h2 = this.conn.h2;
    const s = h2.request(this, this.request, this.endStream);
    if (s === null) {
      // the connection stopped taking streams (a GOAWAY in between): nothing was sent
      const err = this.conn.failure ?? new LbError("UPSTREAM_REFUSED", `${this.conn.address} takes no more streams on this connection`, { retryable: true });
      return void queueMicrotask(() => this.failed(err));
    }
    this.stream = s;
    const parked = this.parked, end = this.parkedEnd;
    this.parked = null;
    this.parkedEnd = undefined;
    if (parked !== null) for (const b of parked) h2.sendData(s, b, 0, b.length, false);
    if (end !== undefined) this.sendEnd(end);
    if (this.owesDrain) {
      this.owesDrain = false;
      this.owner.onUpstreamDrain();
    }
  }

  sendBody(buf: Buffer, start: number, end: number): boolean {
    const s = this.stream;
    if (s !== null) return this.conn.h2.sendData(s, buf, start, end, false);
    (this.parked ??= []).push(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    this.parkedBytes += end - start;
    if (this.parkedBytes <= PARKED_LIMIT) return true;
    this.owesDrain = true;
    return false;
  }

  sendEnd(trailers: Trailers | null): void {
    const s = this.stream;
    if (s === null) {
      this.parkedEnd = trailers;
      return;
    }
    if (!s.writable || s.endQueued || this.endStream) return;
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
    this.conn.streamDone(this);
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
  failed(err: LbError): void {
    if (this.done) return;
    this.done = true;
    this.conn.streamDone(this);
    this.owner.upstreamFailed(err, this.responded);
  }
}
