/**
 * One client connection: parses requests, runs one Exchange at a time (pipelined requests wait,
 * parsed later, so responses go out in order), keeps the connection alive between requests, and
 * enforces the header, response and idle timeouts through `deadline` and the request timeout
 * through `requestDeadline` (both checked by the server sweep).
 */
import type { Socket } from "bun";
import { LbError } from "../errors.ts";
import { RequestParser, type HttpParseError, type MessageHandler, type RequestHead, type ResponseHead } from "../http/index.ts";
import type { ClientConn } from "./client-conn.ts";
import type { ClientExchange, ClientSide } from "./client-side.ts";
import { SocketConnCtx } from "./conn-ctx.ts";
import type { Exchange } from "./exchange.ts";
import { SpareExchange } from "./exchange-spare.ts";
import { H1Output } from "./h1-output.ts";
import { writeSwitchHead } from "./h1-response.ts";
import { hookFailed, runOnLog, runOnParseError } from "./guard.ts";
import { identityFields } from "./forwarded.ts";
import { encodeReply, errorReply } from "./reply.ts";
import type { ServerCore } from "./server-core.ts";
import { Wait } from "./deadline.ts";
import { H2Session } from "./h2-session.ts";
import { ConnPreamble } from "./conn-preamble.ts";
import { HeldInput } from "./held-input.ts";

export class Session extends H1Output implements MessageHandler<RequestHead>, ClientSide, ClientConn {
  readonly parser: RequestParser;
  /** The hooks' view of this connection; handed on with the socket to an H2Session. */
  readonly conn: SocketConnCtx;
  /** X-Forwarded-For/Proto lines for this connection, built once (again after a PROXY header). */
  identity: string;
  /** Set while a PROXY header (required on this listener) or an h2c preface may still come. */
  private preamble: ConnPreamble | null = null;
  exchange: Exchange | null = null;
  private readonly spare = new SpareExchange();
  /** True while a client packet is being parsed (see consumeCorked). */
  corking = false;
  /** Bytes after a complete request, kept until its exchange is over; and the read pause. */
  private readonly input: HeldInput;
  private closing = false;
  private clientEnded = false;
  wheelSlot = 0;
  wheelPrev: ClientConn | null = null;
  wheelNext: ClientConn | null = null;

  constructor(server: ServerCore, readonly socket: Socket<ClientConn>) {
    super(server);
    this.parser = new RequestParser(this, server.limits);
    this.parser.reuseHeads(); // the next head is parsed only once the exchange is over (see consume)
    this.conn = new SocketConnCtx(socket as Socket<unknown>, server.proto === "https", socket.remoteAddress);
    this.identity = identityFields(this.clientAddress, server.proto);
    this.writer.attach(socket as Socket<unknown>);
    this.input = new HeldInput(socket as Socket<unknown>);
    const h2c = server.proto === "http" ? server.h2c : false;
    if (server.acceptProxy || h2c) this.preamble = new ConnPreamble(this.clientAddress, server.acceptProxy, h2c);
    if (server.proto === "https") this.awaitHandshake();
    // the address is final unless a PROXY header must come first (an h2c preface changes nothing)
    if (!server.acceptProxy) this.conn.open(server.hooks);
  }

  /** The client: the TCP peer, or the source a trusted PROXY header carried. */
  get clientAddress(): string { return this.conn.clientAddress; }

  /** ALPN said h2: the connection is an HTTP/2 one from its first byte. */
  override handshakeDone(): void {
    super.handshakeDone();
    if (this.socket.alpnProtocol === "h2") this.becomeH2();
  }

  /** Hands the socket to an H2Session; this session is done with it (it never parsed a request). */
  private becomeH2(): H2Session {
    this.closing = true;
    this.parser.halt();
    const h2 = new H2Session(this.server, this.socket, this.conn, this.identity);
    this.socket.data = h2;
    this.server.add(h2, this);
    return h2;
  }

  onData(buf: Buffer): void {
    if (this.closing) return;
    if (this.preamble !== null) {
      const rest = this.readPreamble(buf);
      if (rest === null) return;
      buf = rest;
    }
    const ex = this.exchange;
    if (ex !== null && ex.tunnel) {
      this.touch();
      ex.bytesIn += buf.length; // an upgraded connection's bytes count as its request's (access log, stats)
      if (!(ex.up === null || ex.up.tunnelWrite(buf))) this.pauseReading();
      return;
    }
    if (this.input.bytes !== null) return this.input.keep(buf, 0);
    this.consumeCorked(buf);
  }

  /**
   * The connection's preamble (see ConnPreamble): a PROXY header's source becomes the client
   * identity; HTTP/2's preface hands the connection to an H2Session. Returns the bytes to parse as
   * HTTP/1.1, or null (nothing yet, the connection closed, or handed over).
   */
  private readPreamble(buf: Buffer): Buffer | null {
    const r = this.preamble!.push(buf);
    if (r === "wait") return null;
    if (r === "invalid") {
      this.closing = true;
      this.socket.end();
      return null;
    }
    const source = this.preamble!.source;
    this.preamble = null;
    if (source !== null) {
      this.conn.clientAddress = source;
      this.identity = identityFields(source, this.server.proto);
    }
    this.conn.open(this.server.hooks);
    if (r.h2) {
      this.becomeH2().onData(r.bytes);
      return null;
    }
    return r.bytes.length === 0 ? null : r.bytes;
  }

  /** Upstream writes made while parsing one packet leave together, after the whole packet parsed. */
  private consumeCorked(buf: Buffer): void {
    this.corking = true;
    const corked = this.exchange?.up ?? null;
    corked?.cork();
    this.consume(buf);
    this.corking = false;
    corked?.uncork();
    this.exchange?.launch(); // uncorks (or connects for) an exchange started by this packet
  }

  /** Parses as far as allowed: stops while a complete request waits for its response. */
  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length && !this.closing) {
      const ex = this.exchange;
      if (ex !== null && (ex.requestDone || ex.finished)) return this.input.keep(buf, pos);
      const r = this.parser.feed(buf, pos);
      if (r < 0) return this.parseFailed(this.parser.error!);
      pos = r;
    }
    if (this.exchange === null && !this.closing) this.idleOrHeader(this.parser.midHead);
    else this.touch();
  }

  onHead(req: RequestHead): void {
    const ex = this.spare.take(this, req);
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
  exchangeDone(ex: ClientExchange): void {
    if (this.exchange === ex) this.exchange = null;
    this.requestDeadline = 0;
    runOnLog(this.server.hooks, ex as Exchange);
    if (ex.closeAfter || this.server.draining) return this.shutdown(null);
    this.idleOrHeader(false);
    this.resumeReading();
    const kept = this.input.take();
    if (kept !== null) this.consumeCorked(kept);
    if (this.clientEnded && this.exchange === null && this.input.bytes === null) this.shutdown(null);
    if (!this.closing) this.spare.offer(ex as Exchange); // last: see SpareExchange.offer
  }

  /** The exchange broke after its response started: the client cannot be told, so it is cut off. */
  exchangeAborted(ex: ClientExchange): void {
    if (this.exchange === ex) this.exchange = null;
    this.requestDeadline = 0;
    runOnLog(this.server.hooks, ex as Exchange);
    this.closing = true;
    this.parser.halt();
    this.writer.discard();
    this.socket.end();
  }

  /** 101 relayed: from now on client bytes go straight to the backend. */
  startTunnel(_ex: ClientExchange, res: ResponseHead): number {
    writeSwitchHead(res, this.writer);
    this.requestDeadline = 0; // an upgraded connection lives as long as its peers want (idle timeout only)
    this.parser.halt();
    this.wait = Wait.Transfer;
    this.touch();
    const p = this.input.take(), ex = this.exchange;
    if (p !== null && ex !== null) ex.bytesIn += p.length;
    if (p !== null && ex?.up != null && !ex.up.tunnelWrite(p)) this.pauseReading();
    this.resumeReading();
    return 101;
  }

  /** Writes `last` (if any), stops reading requests, and closes once everything is flushed. */
  private shutdown(last: Buffer | null): void {
    this.closing = true;
    this.parser.halt();
    this.input.take();
    if (last !== null) this.writer.write(last);
    this.writer.end();
    this.wait = Wait.Idle;
    this.setDeadline(this.server.now + this.server.timeouts.idleMs);
  }

  // ---- ClientConn ----

  protected override armed(at: number): void {
    this.server.wheel.file(this, at);
  }

  drain(): void {
    // responses in flight say `connection: close`; idle connections close after the stop's grace
  }

  closeIfIdle(): void {
    if (this.exchange === null && !this.parser.midHead) this.socket.end();
  }

  onWriterDrained(): void {
    this.exchange?.up?.resume();
  }

  /** Client sent FIN: finish what is in flight, then close. */
  onClientEnd(): void {
    this.clientEnded = true;
    const ex = this.exchange;
    if (ex !== null && ex.tunnel) return ex.up?.tunnelEnd();
    if (ex === null && this.input.bytes === null) this.shutdown(null);
  }

  onSocketClosed(): void {
    this.closing = true;
    this.parser.halt();
    this.conn.close(this.server.hooks);
    const ex = this.exchange;
    this.exchange = null;
    if (ex !== null && !ex.finished) {
      if (ex.tunnel) ex.complete(false);
      else ex.fail(new LbError("CLIENT_CLOSED", "client closed the connection"));
    }
  }

  protected override onDeadline(): void {
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

  protected override onRequestDeadline(): void {
    this.exchange?.requestTimedOut();
  }

  pauseReading(): void {
    this.input.pause();
  }

  resumeReading(): void {
    this.input.resume();
  }
}
