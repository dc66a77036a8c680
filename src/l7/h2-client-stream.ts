/**
 * One stream of an HTTP/2 client connection as the exchange's ClientSide: the request head and
 * body come from the codec (H2StreamHandler), the response goes out as HEADERS, DATA (END_STREAM
 * on the last piece of a known length) and trailers. Each stream keeps its own clocks (the
 * response-header timeout, stalls, request_timeout_ms), which the session's sweep checks.
 */
import { LbError } from "../errors.ts";
import { BodyKind, FRAMING_FIELDS, H, HOP_BY_HOP, type RequestHead, type ResponseHead } from "../http/index.ts";
import { ErrorCode, StreamState, type ForwardFields, type H2Connection, type H2Stream, type H2StreamHandler, type HeaderList } from "../h2/index.ts";
import type { ClientExchange, ClientSide } from "./client-side.ts";
import { Deadline, Wait } from "./deadline.ts";
import type { Exchange } from "./exchange.ts";
import { SpareExchange } from "./exchange-spare.ts";
import { DROPPED_MASK } from "./field-drop.ts";
import { hookFailed, runOnLog } from "./guard.ts";
import { appendFields, appendLines, replyFields } from "./h2-fields.ts";
import { requestHeadOf } from "./h2-heads.ts";
import type { H2Session } from "./h2-session.ts";
import type { ConnCtx, ProxyReply } from "./hooks.ts";
import { trailerPairs, type Trailers } from "./trailers.ts";

const EMPTY = Buffer.alloc(0);
const NONE: readonly string[] = [];
/** Fields a response to an HTTP/2 client never carries (RFC 9113 §8.2.2), and those the hooks dropped. */
const RESPONSE_DROP = HOP_BY_HOP | DROPPED_MASK;

/** The response head being handed to the codec (encoding is synchronous: one object serves all). */
const FORWARD: ForwardFields = { before: NONE, head: null!, drop: 0, after: NONE };

export class H2ClientStream extends Deadline implements ClientSide, H2StreamHandler {
  ex: Exchange | null = null;
  session!: H2Session;
  stream!: H2Stream;
  private h2!: H2Connection;
  /** Where the session keeps this stream among those with an exchange running. */
  slot = 0;
  /** Serving a stream (false while spare). */
  private live = false;
  /** The request head, reused by the next stream this object serves. */
  private head: RequestHead | null = null;
  /** This object's last exchange, kept for its next stream when nothing can reach it (exchange-spare.ts). */
  private readonly spare = new SpareExchange();
  /** Our END_STREAM is sent or queued. */
  private ended = false;
  /** Body bytes still to come of a response of known length (-1: unknown). */
  private remaining = -1;
  /** An extended CONNECT (RFC 8441) was answered: DATA both ways is the tunnel's bytes. */
  private tunneling = false;
  /** The reply refused the whole connection (403/429 of an access step): GOAWAY once it is sent. */
  private closesConnection: string | null = null;

  /** Starts serving `stream` of `session` (a new object, or a spare one: everything is set afresh). */
  open(session: H2Session, stream: H2Stream): void {
    this.session = session;
    this.stream = stream;
    this.h2 = session.h2;
    this.live = true;
    this.ended = this.tunneling = false;
    this.remaining = -1;
    this.closesConnection = null;
    this.wait = Wait.Transfer; // no head to wait for: the stream opened with it
    this.deadline = this.server.now + this.server.timeouts.idleMs;
    this.requestDeadline = this.streamIdleMs = 0;
    stream.handler = this;
  }

  /**
   * Once the exchange has ended and the stream has closed (in either order), nothing refers to
   * either any more: the stream goes back to the codec and this object to the listener's spares.
   */
  private settle(): void {
    if (!this.live || this.ex !== null || this.stream.state !== StreamState.Closed) return;
    this.live = false;
    this.h2.recycle(this.stream);
    this.session.spares.keep(this);
  }

  get clientAddress(): string { return this.session.clientAddress; }
  get conn(): ConnCtx { return this.session.conn; }
  get identity(): string { return this.session.identity; }
  get corking(): boolean { return this.session.corking; }

  /** The stream opened with `list`: its exchange starts. Returns it, or null once it ended (answered by a hook). */
  begin(list: HeaderList, endStream: boolean): Exchange | null {
    const ex = this.spare.take(this, (this.head = requestHeadOf(list, endStream, this.head)));
    this.ex = ex;
    try {
      ex.start();
    } catch (e) {
      ex.fail(hookFailed(e)); // a throwing hook costs this request a 500, never the connection
    }
    // an exchange answered in start is kept already (retired): it must not see this request's end
    if (this.ex !== ex) return null;
    if (endStream) ex.requestEnd(null);
    return this.ex;
  }

  // ---- H2StreamHandler: the request from the codec ----

  onHeaders(): void {} // server side: a request's head comes through H2Session.onStream

  onData(_s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): void {
    const ex = this.ex;
    if (ex === null) {
      // answered already: the rest of the upload is dropped, and once the answer has left, stopped
      if (this.stream.state === StreamState.HalfClosedLocal) this.h2.reset(this.stream, ErrorCode.NO_ERROR);
      return;
    }
    this.touch();
    if (this.tunneling) return this.tunnelData(ex, buf, start, end, endStream);
    if (end > start) ex.requestBody(buf, start, end);
    if (endStream) ex.requestEnd(null);
  }

  /** Client bytes of a tunnel, for the backend; END_STREAM half-closes it. */
  private tunnelData(ex: Exchange, buf: Buffer, start: number, end: number, endStream: boolean): void {
    const up = ex.up;
    ex.bytesIn += end - start; // a tunnel's bytes count as its request's (access log, stats), as on HTTP/1.1
    if (up === null) return;
    if (end > start && !up.tunnelWrite(buf.subarray(start, end))) this.pauseReading();
    if (endStream) up.tunnelEnd();
  }

  onTrailers(_s: H2Stream, trailers: HeaderList): void {
    this.ex?.requestEnd(trailers.entries().flat());
  }

  /** Reset by the client, or the connection closed under it. */
  onReset(): void {
    const ex = this.ex;
    if (ex === null || ex.finished) return;
    if (ex.tunnel) ex.complete(false);
    else ex.fail(new LbError("CLIENT_CLOSED", "client reset the stream"));
  }

  onWritable(): void {
    this.ex?.up?.resume();
  }

  onClosed(): void {
    this.settle();
  }

  // ---- ClientSide ----

  httpVersion(): string {
    return "HTTP/2.0";
  }

  rawChunks(): boolean {
    return false;
  }

  pauseReading(): void {
    this.h2.pause(this.stream);
  }

  resumeReading(): void {
    this.h2.resume(this.stream);
  }

  cork(): void {
    this.h2.enter();
  }

  uncork(): void {
    this.h2.leave();
  }

  writeInterim(_ex: ClientExchange, res: ResponseHead): void {
    if (res.status === 101) return;
    this.h2.informational(this.stream, res.status, appendFields(res, RESPONSE_DROP | FRAMING_FIELDS, []));
  }

  writeHead(ex: ClientExchange, res: ResponseHead): boolean {
    const f = FORWARD;
    f.head = res;
    f.drop = RESPONSE_DROP;
    f.before = NONE;
    f.after = ex.addResponseFields.length > 0 ? appendLines(ex.addResponseFields, []) : NONE;
    if (res.status === 204 || res.status === 304) f.drop |= FRAMING_FIELDS;
    else if (res.lengthRewrite) {
      f.drop |= 1 << H.CONTENT_LENGTH;
      f.before = ["content-length", String(res.contentLength)];
    }
    const endStream = res.bodyKind === BodyKind.None;
    this.remaining = res.bodyKind === BodyKind.Length && ex.contentCoding === null ? res.contentLength : -1;
    this.ended = endStream;
    this.h2.respond(this.stream, res.status, f, endStream);
    f.head = null!; // holds no response past the call
    return true;
  }

  writeBody(buf: Buffer, start: number, end: number): boolean {
    if (this.ended || end <= start) return true;
    let last = false;
    if (this.remaining >= 0) {
      this.remaining -= end - start;
      last = this.remaining <= 0;
    }
    this.ended = last;
    return this.h2.sendData(this.stream, buf, start, end, last);
  }

  writeEnd(trailers: Trailers | null): void {
    if (this.ended) return;
    this.ended = true;
    const pairs = trailers === null ? null : trailerPairs(trailers);
    if (pairs !== null && pairs.length > 0) this.h2.sendTrailers(this.stream, pairs);
    else this.h2.sendData(this.stream, EMPTY, 0, 0, true);
  }

  writeReply(ex: ClientExchange, reply: ProxyReply): void {
    const body = reply.body === undefined ? EMPTY : typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
    const fields = replyFields(reply, body.length);
    const bodyless = body.length === 0 || ex.req.method === "HEAD";
    if (reply.closeConnection) this.closesConnection = reply.errorCode ?? "CLOSE";
    this.ended = true;
    this.h2.respond(this.stream, reply.status, fields, bodyless);
    if (!bodyless) this.h2.sendData(this.stream, body as Buffer, 0, body.length, true);
  }

  /**
   * The backend switched protocols for an extended CONNECT (RFC 8441 §5: it is answered 200): from
   * now on DATA both ways carries the tunnel's bytes, and only stalls time it out.
   */
  startTunnel(_ex: ClientExchange, res: ResponseHead): number {
    const fields = appendFields(res, RESPONSE_DROP | FRAMING_FIELDS, []);
    for (let i = fields.length - 2; i >= 0; i -= 2) if (fields[i] === "sec-websocket-accept") fields.splice(i, 2);
    this.tunneling = true;
    this.remaining = -1;
    this.ended = false;
    this.requestDeadline = 0;
    this.streaming();
    this.h2.respond(this.stream, 200, fields, false);
    return 200;
  }

  exchangeDone(ex: ClientExchange): void {
    this.finish(ex);
    if (this.tunneling && !this.ended) {
      this.ended = true;
      this.h2.sendData(this.stream, EMPTY, 0, 0, true); // the backend closed the tunnel
    }
    // Answered before the upload ended (RFC 9113 §8.1): once the response has left, NO_ERROR asks
    // the client to stop sending; until then what it sends is read and dropped.
    if (this.stream.state === StreamState.HalfClosedLocal) this.h2.reset(this.stream, ErrorCode.NO_ERROR);
    else this.h2.resume(this.stream);
    if (this.closesConnection !== null) this.session.closeAfterStreams(this.closesConnection);
    this.settle();
  }

  exchangeAborted(ex: ClientExchange): void {
    this.finish(ex);
    this.h2.reset(this.stream, ErrorCode.INTERNAL_ERROR);
    this.settle();
  }

  private finish(ex: ClientExchange): void {
    this.ex = null;
    this.requestDeadline = 0;
    this.deadline = 0;
    runOnLog(this.server.hooks, ex as Exchange);
    this.session.streamDone(this);
    // No later stream can take it before the frames that ended it unwind: a stream opens only as
    // a client packet is read, and what this one reads finds `ex` null.
    this.spare.offer(ex as Exchange);
  }

  // ---- clocks (the session's sweep) ----

  protected override onRequestDeadline(): void {
    this.ex?.requestTimedOut();
  }

  protected override onDeadline(): void {
    const ex = this.ex;
    if (ex === null || ex.finished) return;
    if (this.wait === Wait.Response) return ex.fail(new LbError("UPSTREAM_TIMEOUT", "no response from the backend in time"));
    ex.fail(new LbError("REQUEST_TIMEOUT", "transfer stalled"));
  }
}
