/**
 * One HTTP/2 connection to a backend (h2 over TLS with ALPN h2, or h2c), carrying many exchanges
 * at once as streams (h2-leg.ts). Fulcrum's codec in the client role over Bun.connect: the first
 * request goes out while it connects (the preface and SETTINGS first); it opens streams up to the
 * backend's SETTINGS_MAX_CONCURRENT_STREAMS once those arrive (never more than MAX_STREAMS), and
 * none after a GOAWAY either way. Legs given to it beyond that wait in line (parked) and the pool
 * moves them to a connection with room. It counts as one connection of its group for its life.
 */
import type { Socket, SocketHandler } from "bun";
import { LbError } from "../errors.ts";
import { H2Connection, type H2Options, type H2SessionHandler } from "../h2/index.ts";
import type { ConnGroup } from "./conn-group.ts";
import type { UpstreamTls } from "./hooks.ts";
import type { H2Leg } from "./h2-leg.ts";
import { ConnState } from "./upstream-conn.ts";
import { splitAddress } from "./upstream-dial.ts";
import { TickOutput } from "./tick-output.ts";
import { SocketWriter, type WriterOwner } from "./writer.ts";

/** Streams assumed before the backend's SETTINGS arrive (RFC 9113 §6.5.2 asks for at least 100). */
const INITIAL_STREAMS = 100;
/** The most streams one connection carries whatever the backend allows: beyond, another connection. */
export const MAX_STREAMS = 1000;
const ALPN_H2 = Buffer.from("\x02h2", "latin1");

/** Where a connection reports that it ended (the pool), that a slot freed, that legs wait in vain. */
export interface H2ConnOwner {
  closedH2(conn: H2UpstreamConn): void;
  streamFreed(conn: H2UpstreamConn): void;
  /** Legs are parked here beyond what the backend lets it open: move them where there is room. */
  rehome(conn: H2UpstreamConn): void;
}

const HANDLERS: SocketHandler<H2UpstreamConn> = {
  open: (s) => s.data.onOpen(s),
  handshake: (s, ok, err) => s.data.onHandshake(ok, err),
  data: (s, d) => s.data.h2.feed(d as Buffer),
  drain: (s) => s.data.writer.flush(),
  end: (s) => s.data.onClosed(),
  close: (s, err) => s.data.onClosed(err),
  error: (s, err) => s.data.onClosed(err),
  connectError: (s, err) => s.data.fail(new LbError("UPSTREAM_CONNECT_FAILED", `cannot connect to ${s.data.address}`, { retryable: true, cause: err })),
};

export class H2UpstreamConn implements H2SessionHandler, WriterOwner {
  state = ConnState.Connecting;
  readonly writer = new SocketWriter(this);
  readonly h2: H2Connection;
  /** Streams granted to exchanges and not yet given back (opened, or about to be). */
  load = 0;
  /** Exchanges this connection has carried. */
  served = 0;
  /** When its last stream ended (pool clock, ms). */
  idleSince = 0;
  /** Why the connection failed, told to the streams it resets. */
  failure: LbError | null = null;
  /** Legs waiting for a stream slot, oldest first. */
  parked: H2Leg[] = [];
  private socket: Socket<H2UpstreamConn> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly address: string, readonly key: string, readonly tls: UpstreamTls | undefined, readonly group: ConnGroup,
    private readonly owner: H2ConnOwner, opts: Partial<H2Options>, connectTimeoutMs: number,
  ) {
    this.h2 = new H2Connection("client", new TickOutput(this.writer), this, opts);
    this.dial(connectTimeoutMs);
  }

  /** Legs it can take now (0 once closing); before the backend's SETTINGS, as many as most allow. */
  get capacity(): number {
    if (!this.usable) return 0;
    const h2 = this.h2;
    return (h2.gotSettings ? Math.min(h2.peerMaxStreams, MAX_STREAMS) : INITIAL_STREAMS) - this.load;
  }

  /** It may still open streams. */
  get usable(): boolean {
    const h2 = this.h2;
    return this.state !== ConnState.Closed && !h2.closed && !h2.goawayReceived && !h2.goawaySent;
  }

  /** Streams it may have open at once: the backend's limit, or one before its SETTINGS come. */
  private get slots(): number {
    const h2 = this.h2;
    return h2.gotSettings ? Math.min(h2.peerMaxStreams, MAX_STREAMS) : 1;
  }

  /** A leg's head is ready: its stream opens now if a slot is free, else it waits in line. */
  place(leg: H2Leg): void {
    if (this.parked.length === 0 && this.usable && this.h2.localActive < this.slots) leg.open();
    else this.parked.push(leg);
  }

  /** Opens waiting legs while slots are free. */
  private openParked(): void {
    while (this.parked.length > 0 && this.usable && this.h2.localActive < this.slots) this.parked.shift()!.open();
  }

  /** Takes every parked leg off this connection (the pool moves them). */
  unpark(): H2Leg[] {
    const legs = this.parked;
    this.parked = [];
    this.load -= legs.length;
    return legs;
  }

  /** The scheme requests on it carry. */
  get scheme(): string {
    return this.tls ? "https" : "http";
  }

  private dial(timeoutMs: number): void {
    let target: { hostname: string; port: number };
    try {
      target = splitAddress(this.address);
    } catch (e) {
      queueMicrotask(() => this.fail(e as LbError));
      return;
    }
    this.timer = setTimeout(() => this.fail(new LbError("UPSTREAM_TIMEOUT", `connect to ${this.address} timed out`, { retryable: true })), timeoutMs);
    const t = this.tls;
    const tls = t && { serverName: t.serverName ?? target.hostname, ca: t.ca, rejectUnauthorized: t.verify !== false, ALPNProtocols: ALPN_H2 };
    Bun.connect<H2UpstreamConn>({ ...target, data: this, socket: HANDLERS, ...(tls ? { tls } : {}) }).catch((err: unknown) => {
      if (this.state === ConnState.Connecting) this.fail(new LbError("UPSTREAM_CONNECT_FAILED", `cannot connect to ${this.address}`, { retryable: true, cause: err }));
    });
  }

  onOpen(socket: Socket<H2UpstreamConn>): void {
    if (this.state === ConnState.Closed) return void socket.end();
    this.socket = socket;
    if (this.tls) return; // the handshake decides (ALPN must say h2)
    this.opened(socket);
  }

  onHandshake(ok: boolean, err: Error | null): void {
    if (this.state !== ConnState.Connecting || this.socket === null) return;
    if (!ok && this.tls?.verify !== false) {
      return this.fail(new LbError("UPSTREAM_CONNECT_FAILED", `TLS to ${this.address}: ${err?.message ?? "handshake failed"}`, { retryable: true }));
    }
    if (this.socket.alpnProtocol !== "h2") {
      return this.fail(new LbError("UPSTREAM_PROTOCOL", `${this.address} did not agree to HTTP/2 (ALPN h2)`, { retryable: true }));
    }
    this.opened(this.socket);
  }

  private opened(socket: Socket<H2UpstreamConn>): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.state = ConnState.Open;
    this.writer.attach(socket as Socket<unknown>);
  }

  onWriterDrained(): void {
    this.h2.onWriterDrained();
  }

  /** The peer closed or reset the transport. */
  onClosed(cause?: unknown): void {
    if (this.state === ConnState.Closed) return;
    this.fail(new LbError("UPSTREAM_RESET", `backend ${this.address} closed the connection`, { retryable: true, cause }));
  }

  /** Ends the connection: every stream on it fails with `err` (first failure wins), the pool is told. */
  fail(err: LbError): void {
    if (this.state === ConnState.Closed) return;
    this.failure ??= err;
    this.close();
  }

  private close(): void {
    this.state = ConnState.Closed;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.h2.transportClosed();
    this.writer.discard();
    this.socket?.end();
    // nothing of the parked legs was sent: a failed connect says so, anything else is safe to resend
    const f = this.failure;
    const err = f !== null && (f.code === "UPSTREAM_CONNECT_FAILED" || f.code === "UPSTREAM_TIMEOUT") ? f
      : new LbError("UPSTREAM_REFUSED", `the connection to ${this.address} closed before these requests were sent`, { retryable: true });
    for (const leg of this.parked.splice(0)) leg.failed(err);
    this.owner.closedH2(this);
  }

  /** Graceful: GOAWAY, streams in flight finish, then it closes (idle sweep, pool closing). */
  retire(): void {
    if (this.state === ConnState.Closed) return;
    if (this.h2.streams.size === 0) return this.close();
    this.h2.shutdown();
  }

  /** A leg is done with this connection (its stream ended, or it gave up waiting). */
  streamDone(leg: H2Leg): void {
    this.load--;
    if (this.parked.length > 0) {
      const i = this.parked.indexOf(leg);
      if (i >= 0) this.parked.splice(i, 1);
    }
    if (this.load === 0) this.idleSince = Date.now();
    this.openParked();
    this.owner.streamFreed(this);
  }

  // ---- H2SessionHandler ----

  onSettings(): void {
    this.openParked();
    if (this.parked.length > 0) this.owner.rehome(this);
    this.owner.streamFreed(this);
  }

  onGoaway(): void {
    // no new streams here: those above its last id were refused (REFUSED_STREAM), safe to resend,
    // and those still parked go elsewhere
    if (this.parked.length > 0) this.owner.rehome(this);
    this.owner.streamFreed(this);
  }

  /** The codec ended the connection (a GOAWAY it sent or got, after the last stream). */
  onClose(code: number, reason: string): void {
    if (this.state === ConnState.Closed) return;
    this.failure ??= new LbError("UPSTREAM_RESET", `HTTP/2 connection to ${this.address} ended: ${reason}`, { retryable: true, details: [{ code }] });
    this.close();
  }
}
