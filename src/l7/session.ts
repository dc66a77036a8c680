/**
 * One client connection: parses requests, runs one Exchange at a time (pipelined requests wait,
 * parsed later, so responses go out in order), keeps the connection alive between requests, and
 * enforces the header, response and idle timeouts through `deadline` and the request timeout
 * through `requestDeadline` (both checked by the server sweep).
 */
import type { Socket } from "bun";
import { LbError } from "../errors.ts";
import { ProxyHeaderReader } from "../net/index.ts";
import { RequestParser, type HttpParseError, type MessageHandler, type RequestHead } from "../http/index.ts";
import { Exchange } from "./exchange.ts";
import { hookFailed, runOnLog, runOnParseError } from "./guard.ts";
import { identityFields } from "./forwarded.ts";
import { encodeReply, errorReply } from "./reply.ts";
import type { ServerCore } from "./server-core.ts";
import { Deadline, Wait } from "./deadline.ts";
import { SocketWriter, type WriterOwner } from "./writer.ts";

/** Above this many unparsed pipelined bytes, stop reading from the client until they are used. */
const MAX_PENDING = 64 * 1024;

export class Session extends Deadline implements MessageHandler<RequestHead>, WriterOwner {
  readonly parser: RequestParser;
  readonly writer = new SocketWriter(this);
  /** The client: the TCP peer, or the source a trusted PROXY header carried. */
  clientAddress: string;
  /** X-Forwarded-For/Proto lines for this connection, built once (again after a PROXY header). */
  identity: string;
  /** Set while the connection's PROXY header (required on this listener) is still being read. */
  private proxyReader: ProxyHeaderReader | null = null;
  exchange: Exchange | null = null;
  /** True while a client packet is being parsed (see consumeCorked). */
  corking = false;
  private pending: Buffer | null = null;
  private closing = false;
  private clientEnded = false;
  private readPaused = false;

  constructor(server: ServerCore, readonly socket: Socket<Session>) {
    super(server);
    this.parser = new RequestParser(this, server.limits);
    this.clientAddress = socket.remoteAddress;
    this.identity = identityFields(this.clientAddress, server.proto);
    this.writer.attach(socket as Socket<unknown>);
    if (server.acceptProxy) this.proxyReader = new ProxyHeaderReader(this.clientAddress, server.acceptProxy);
    if (server.proto === "https") this.awaitHandshake();
  }

  onData(buf: Buffer): void {
    if (this.closing) return;
    if (this.proxyReader !== null) {
      const rest = this.readProxyHeader(buf);
      if (rest === null || rest.length === 0) return;
      buf = rest;
    }
    const ex = this.exchange;
    if (ex !== null && ex.tunnel) {
      this.touch();
      ex.bytesIn += buf.length; // an upgraded connection's bytes count as its request's (access log, stats)
      if (ex.conn !== null && !ex.conn.write(buf)) this.pauseReading();
      return;
    }
    if (this.pending !== null) return this.stash(buf, 0);
    this.consumeCorked(buf);
  }

  /**
   * Reads the PROXY header every connection on this listener must start with (from trusted peers
   * only); its source becomes the client identity. Returns the bytes after it, or null while it is
   * incomplete or after closing the connection for an untrusted peer or a malformed header.
   */
  private readProxyHeader(buf: Buffer): Buffer | null {
    const r = this.proxyReader!.push(buf);
    if (r.status === "need_more") return null;
    if (r.status === "invalid") {
      this.closing = true;
      this.socket.end();
      return null;
    }
    this.proxyReader = null;
    if (r.header.source) {
      this.clientAddress = r.header.source.ip;
      this.identity = identityFields(this.clientAddress, this.server.proto);
    }
    return Buffer.from(r.rest.buffer, r.rest.byteOffset, r.rest.length);
  }

  /** Upstream writes made while parsing one packet leave together, after the whole packet parsed. */
  private consumeCorked(buf: Buffer): void {
    this.corking = true;
    const conn = this.exchange?.conn;
    conn?.writer.cork();
    this.consume(buf);
    this.corking = false;
    conn?.writer.uncork();
    this.exchange?.launch(); // uncorks (or connects for) an exchange started by this packet
  }

  /** Parses as far as allowed: stops while a complete request waits for its response. */
  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length && !this.closing) {
      const ex = this.exchange;
      if (ex !== null && (ex.requestDone || ex.finished)) return this.stash(buf, pos);
      const r = this.parser.feed(buf, pos);
      if (r < 0) return this.parseFailed(this.parser.error!);
      pos = r;
    }
    if (this.exchange === null && !this.closing) this.idleOrHeader(this.parser.midHead);
    else this.touch();
  }

  private stash(buf: Buffer, pos: number): void {
    const rest = pos === 0 ? buf : buf.subarray(pos);
    this.pending = this.pending === null ? rest : Buffer.concat([this.pending, rest]);
    if (this.pending.length > MAX_PENDING) this.pauseReading();
  }

  onHead(req: RequestHead): void {
    const ex = new Exchange(this, req);
    this.exchange = ex;
    try {
      ex.start();
    } catch (e) {
      ex.fail(hookFailed(e)); // a throwing hook costs this request a 500, never the process
    }
  }

  onBody(buf: Buffer, start: number, end: number): void { this.exchange?.requestBody(buf, start, end); }
  onEnd(trailers: Buffer | null): void { this.exchange?.requestEnd(trailers); }

  private parseFailed(err: HttpParseError): void {
    const ex = this.exchange;
    if (ex !== null && !ex.finished) return ex.fail(err);
    this.refuse(err);
  }

  /** Answers a request that never became an exchange with its error, reports it, and closes. */
  private refuse(err: LbError): void {
    runOnParseError(this.server.hooks, this.clientAddress, err);
    this.shutdown(encodeReply(errorReply(err), true));
  }

  /** The current exchange finished normally (or with an error reply). */
  exchangeDone(ex: Exchange): void {
    if (this.exchange === ex) this.exchange = null;
    this.requestDeadline = 0;
    runOnLog(this.server.hooks, ex);
    if (ex.closeAfter || this.server.draining) return this.shutdown(null);
    this.idleOrHeader(false);
    this.resumeReading();
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      this.consumeCorked(p);
    }
    if (this.clientEnded && this.exchange === null && this.pending === null) this.shutdown(null);
  }

  /** The exchange broke after its response started: the client cannot be told, so it is cut off. */
  exchangeAborted(ex: Exchange): void {
    if (this.exchange === ex) this.exchange = null;
    this.requestDeadline = 0;
    runOnLog(this.server.hooks, ex);
    this.closing = true;
    this.parser.halt();
    this.writer.discard();
    this.socket.end();
  }

  /** 101 relayed: from now on client bytes go straight to the backend. */
  startTunnel(): void {
    this.requestDeadline = 0; // an upgraded connection lives as long as its peers want (idle timeout only)
    this.parser.halt();
    this.wait = Wait.Transfer;
    this.touch();
    const p = this.pending, conn = this.exchange?.conn;
    this.pending = null;
    if (p !== null && this.exchange !== null) this.exchange.bytesIn += p.length;
    if (p !== null && conn != null && !conn.write(p)) this.pauseReading();
    this.resumeReading();
  }

  /** Writes `last` (if any), stops reading requests, and closes once everything is flushed. */
  private shutdown(last: Buffer | null): void {
    this.closing = true;
    this.parser.halt();
    this.pending = null;
    if (last !== null) this.writer.write(last);
    this.writer.end();
    this.deadline = this.server.now + this.server.timeouts.idleMs;
    this.wait = Wait.Idle;
  }

  onWriterDrained(): void {
    this.exchange?.conn?.resume();
  }

  /** Client sent FIN: finish what is in flight, then close. */
  onClientEnd(): void {
    this.clientEnded = true;
    const ex = this.exchange;
    if (ex !== null && ex.tunnel) return void ex.conn?.writer.end();
    if (ex === null && this.pending === null) this.shutdown(null);
  }

  onClose(): void {
    this.closing = true;
    this.parser.halt();
    const ex = this.exchange;
    this.exchange = null;
    if (ex !== null && !ex.finished) {
      if (ex.tunnel) ex.complete(false);
      else ex.fail(new LbError("CLIENT_CLOSED", "client closed the connection"));
    }
  }

  /** Called by the sweep when `deadline` has passed. */
  onDeadline(): void {
    if (this.wait === Wait.Handshake) return this.handshakeTimedOut();
    const ex = this.exchange;
    if (this.wait === Wait.Response && ex !== null) return ex.fail(new LbError("UPSTREAM_TIMEOUT", "no response from the backend in time"));
    if (this.wait === Wait.Header && this.parser.midHead) return this.refuse(new LbError("REQUEST_TIMEOUT", "request head too slow"));
    this.closing = true;
    this.parser.halt();
    this.socket.end();
    if (ex !== null) ex.fail(new LbError("REQUEST_TIMEOUT", "transfer stalled"));
  }

  /**
   * The TLS handshake did not finish in time (a silent client, a ClientHello cut short, a record
   * that never completes): close with no answer, as nginx's ssl_handshake_timeout does. A FIN, so
   * the socket is released at once whatever the client does.
   */
  private handshakeTimedOut(): void {
    this.closing = true;
    this.wait = Wait.Idle; // the handshake callback Bun still makes (failed) must not re-arm a deadline
    this.parser.halt();
    this.server.onHandshakeTimeout?.();
    this.socket.end();
  }

  /**
   * The request's request_timeout_ms passed (retries included): 504 UPSTREAM_TIMEOUT before the
   * response started, else both connections are cut (the client sees a truncated response). The
   * backend connection is closed either way, never pooled: it may still be working on the request.
   */
  onRequestDeadline(): void {
    const ex = this.exchange;
    if (ex === null || ex.finished || ex.tunnel) return;
    ex.conn?.destroy();
    ex.fail(new LbError("UPSTREAM_TIMEOUT", "request_timeout_ms passed before the response ended", { details: [{ timeout: "request" }] }));
  }

  pauseReading(): void {
    if (!this.readPaused) this.socket.pause();
    this.readPaused = true;
  }

  resumeReading(): void {
    if (this.readPaused && (this.pending === null || this.pending.length <= MAX_PENDING)) {
      this.readPaused = false;
      this.socket.resume();
    }
  }
}
