/**
 * One HTTP/2 client connection (ALPN h2, or h2c by prior knowledge): Fulcrum's codec in the server
 * role over the socket, each stream a request run by its own Exchange through H2ClientStream. The
 * connection itself only has its idle time to keep (header time before its first stream); streams
 * keep theirs, checked by the listener's sweep, which also ticks the codec (flood budgets, stalls).
 * A graceful stop sends GOAWAY: streams in flight finish, new ones go elsewhere.
 */
import type { Socket } from "bun";
import { ErrorCode, H2Connection, type H2SessionHandler, type H2Stream, type HeaderList } from "../h2/index.ts";
import type { ClientConn } from "./client-conn.ts";
import type { SocketConnCtx } from "./conn-ctx.ts";
import type { Exchange } from "./exchange.ts";
import { H2ClientStream } from "./h2-client-stream.ts";
import { sparesOf, type Spares } from "./h2-spares.ts";
import type { ServerCore } from "./server-core.ts";
import { TickOutput } from "./tick-output.ts";
import { SocketWriter, type WriterOwner } from "./writer.ts";

export class H2Session implements ClientConn, H2SessionHandler, WriterOwner {
  readonly writer = new SocketWriter(this);
  readonly h2: H2Connection;
  /**
   * Streams with an exchange running (their deadlines are swept), each at its `slot`: an array,
   * not a Set, which allocates as entries come and go (one per request here).
   */
  readonly streams: H2ClientStream[] = [];
  /** True while a client packet is read: exchanges it starts are launched after it (see Session.corking). */
  corking = false;
  private readonly started: Exchange[] = [];
  /** Spare client streams of this connection's listener (h2-spares.ts). */
  readonly spares: Spares<H2ClientStream>;
  /** When an idle connection (no stream open) closes; 0 = streams are open. */
  private idleDeadline: number;
  private closed = false;
  wheelSlot = 0;
  wheelPrev: ClientConn | null = null;
  wheelNext: ClientConn | null = null;

  constructor(
    readonly server: ServerCore, readonly socket: Socket<ClientConn>, readonly conn: SocketConnCtx, readonly identity: string,
  ) {
    this.writer.attach(socket as Socket<unknown>);
    this.h2 = new H2Connection("server", new TickOutput(this.writer), this, server.h2);
    this.idleDeadline = server.now + server.timeouts.headerMs;
    this.spares = sparesOf<H2ClientStream>(server);
  }

  /** The client: the TCP peer, or the source a trusted PROXY header carried. */
  get clientAddress(): string { return this.conn.clientAddress; }

  onData(buf: Buffer): void {
    if (this.closed) return;
    this.corking = true;
    this.h2.feed(buf);
    this.corking = false;
    const started = this.started;
    if (started.length === 0) return;
    for (let i = 0; i < started.length; i++) {
      const ex = started[i]!;
      if (!ex.finished) ex.launch();
    }
    started.length = 0;
  }

  // ---- H2SessionHandler ----

  onStream(stream: H2Stream, head: HeaderList, endStream: boolean): void {
    const cs = this.spares.take() ?? new H2ClientStream(this.server);
    cs.open(this, stream);
    cs.slot = this.streams.push(cs) - 1;
    this.idleDeadline = 0;
    const ex = cs.begin(head, endStream);
    // one answered already is not launched: kept by its client stream, a later stream of this
    // packet may take it, and must be launched once
    if (ex !== null && this.corking) this.started.push(ex);
  }

  /** The codec ended the connection (it closes the transport itself). */
  onClose(): void {
    this.closed = true;
  }

  /** A stream's exchange ended: its deadlines leave the sweep; an idle connection's clock starts. */
  streamDone(cs: H2ClientStream): void {
    const streams = this.streams;
    if (streams[cs.slot] !== cs) return;
    const last = streams.pop()!;
    if (last !== cs) streams[(last.slot = cs.slot)] = last;
    if (streams.length === 0) this.idleDeadline = this.server.now + this.server.timeouts.idleMs;
  }

  // ---- ClientConn ----

  onDrain(): void {
    this.writer.flush();
  }

  onWriterDrained(): void {
    this.h2.onWriterDrained();
  }

  /** FIN: no more frames will come; what is in flight still gets its answer, then the connection closes. */
  onClientEnd(): void {
    this.h2.refuseNewStreams(ErrorCode.NO_ERROR, "CLIENT_FIN");
  }

  onSocketClosed(): void {
    this.closed = true;
    this.h2.transportClosed();
    this.conn.close(this.server.hooks); // after the streams learnt the connection is gone
  }

  /** A reply refused the connection itself (ProxyReply.closeConnection): streams in flight finish, then it closes. */
  closeAfterStreams(reason: string): void {
    if (!this.closed) this.h2.refuseNewStreams(ErrorCode.NO_ERROR, reason);
  }

  handshakeDone(): void {}

  /** Every sweep: the codec's clocks (flood budget, stalls) and each stream's deadlines tick. */
  nextDue(): number {
    return this.closed ? 0 : this.server.now;
  }

  sweep(now: number): void {
    if (this.closed) return;
    this.h2.tick(now);
    // from the end: a stream done in its sweep is replaced in its slot by one already swept
    const streams = this.streams;
    for (let i = streams.length - 1; i >= 0; i--) streams[i]?.sweep(now);
    if (this.idleDeadline !== 0 && now > this.idleDeadline) {
      this.idleDeadline = 0;
      // GOAWAY with the last stream processed (a request already on the wire is refused, safe to
      // retry), and the connection ends: what is left open is an upload nobody reads any more
      this.h2.goaway(ErrorCode.NO_ERROR, "IDLE_TIMEOUT");
    }
  }

  drain(): void {
    this.h2.shutdown();
  }

  closeIfIdle(): void {
    if (this.streams.length === 0) this.h2.refuseNewStreams(ErrorCode.NO_ERROR, "SHUTDOWN");
  }
}
