/**
 * One client connection of a TCP / TLS passthrough listener, as a small state machine:
 *   preamble ─► connecting ─► relaying ─► closing ─► closed
 * (any state may go to closing). The listener (tcp-relay.ts) routes socket events here and calls
 * `tick` from its sweeper, which owns every time limit: preamble, connect and idle. A connection
 * with a deadline near (preamble, connecting, closing) is in the listener's `timed` set, which the
 * sweeper walks on every tick; relaying ones only have the idle limit, checked a slice at a time.
 */
import type { Socket } from "bun";
import { LbError } from "../errors.ts";
import type { ConnInfo } from "./conn-info.ts";
import { Flow } from "./flow.ts";
import { needsPreamble, Preamble } from "./preamble.ts";
import { encodeProxyHeader } from "../net/index.ts";
import { callAdmit, callHook, type RelayContext, type UpstreamTag } from "./relay-context.ts";
import type { RejectReason, UpstreamAddress } from "./relay-options.ts";

type State = "preamble" | "connecting" | "relaying" | "closing" | "closed";
// After we decided to close, peers get this long without progress to finish closing before a reset.
const LINGER_MS = 2000;

export class TcpConn<B extends UpstreamAddress> {
  /** Where the connection is; changed only through `to`, which keeps the `timed` set in step. */
  state: State = "connecting";
  private preamble?: Preamble;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private clientEof = false;
  private clientClosed = false;
  private attempt = 0;
  /** The backend once chosen (relaying to it once `opened`). */
  backend?: B;
  private upstream?: Socket<UpstreamTag<B>>;
  private up?: Flow;
  private down?: Flow;
  /** The upstream connected (onOpen ran; onClose will). */
  opened = false;
  /** Admission said yes (onEnd will run). */
  private admitted = false;
  private deadline = 0;
  private last: number;

  constructor(private readonly ctx: RelayContext<B>, private readonly client: Socket<TcpConn<B>>, readonly info: ConnInfo) {
    this.last = ctx.clock.now;
  }

  private to(s: State): void {
    this.state = s;
    if (s === "relaying" || s === "closed") this.ctx.timed.delete(this);
    else this.ctx.timed.add(this);
  }

  /** Called once from the listener's open handler. */
  start(): void {
    if (!needsPreamble(this.ctx.opts)) {
      if (this.admit()) this.connect();
      return;
    }
    this.to("preamble");
    this.preamble = new Preamble(this.info, this.ctx.opts);
    const refused = this.preamble.refusedAtOpen();
    if (refused) return this.reject(refused);
    // Without a PROXY header to read, the peer is the client: decided now, before its ClientHello.
    if (!this.ctx.opts.acceptProxy && !this.admit()) return;
    this.deadline = this.ctx.clock.now + this.ctx.opts.preambleTimeoutMs;
  }

  /** Runs the listener's admission once the client's address is final; false when it refused (closing). */
  private admit(): boolean {
    const why = callAdmit(this.ctx.opts.admit, this.info);
    if (why !== undefined) {
      this.reject(why);
      return false;
    }
    this.admitted = true;
    return true;
  }

  onClientData(d: Uint8Array): void {
    this.info.bytesIn += d.length;
    this.last = this.ctx.clock.now;
    if (this.state === "relaying") {
      this.up!.push(d);
    } else if (this.state === "connecting") {
      this.hold(d);
    } else if (this.state === "preamble") {
      const r = this.preamble!.push(d);
      if (r.status === "reject") return this.reject(r.reason);
      if (r.status === "done") {
        this.preamble = undefined;
        if (!this.admitted && !this.admit()) return;
        if (r.rest.length > 0) this.hold(r.rest);
        this.connect();
      }
    }
  }

  /** Client bytes that arrive before the upstream is connected are kept, within a bound. */
  private hold(d: Uint8Array): void {
    this.pending.push(d);
    this.pendingBytes += d.length;
    if (this.pendingBytes > this.ctx.opts.maxPendingBytes) this.client.pause();
  }

  onClientEnd(): void {
    this.clientEof = true;
    if (this.state === "preamble") this.reject("preamble_eof");
    else if (this.state === "relaying") this.up!.finish();
  }

  onClientDrain(): void {
    this.last = this.ctx.clock.now;
    this.down?.drain();
  }

  onClientClose(): void {
    this.clientClosed = true;
    if (this.state === "relaying") {
      // Nothing can reach the client any more; what it sent still goes up, then a FIN.
      this.down!.abort();
      this.up!.finish();
      this.to("closing");
    }
    if (!this.upstream) this.finalize();
  }

  private connect(): void {
    let backend: B | undefined;
    try {
      backend = this.ctx.opts.choose(this.info, this.attempt);
    } catch {
      backend = undefined; // a chooser that throws has no backend to give
    }
    if (!backend) return this.reject(this.attempt === 0 ? "no_backend" : "connect_failed");
    this.to("connecting");
    this.backend = backend;
    this.deadline = this.ctx.clock.now + this.ctx.opts.connectTimeoutMs;
    const data: UpstreamTag<B> = { conn: this, attempt: this.attempt };
    try {
      Bun.connect({ hostname: backend.host, port: backend.port, data, allowHalfOpen: true, socket: this.ctx.upstreamHandlers })
        .catch(() => {}); // reported through connectError
    } catch (e) {
      // A backend Bun refuses outright (a bad port, say) fails like any connect, on a later tick.
      const err = new LbError("UPSTREAM_CONNECT_FAILED", `cannot connect to ${backend.host}:${backend.port}`, { cause: e, retryable: true });
      queueMicrotask(() => this.onConnectError(data.attempt, err));
    }
  }

  onConnectError(attempt: number, error: Error): void {
    if (this.state !== "connecting" || attempt !== this.attempt) return;
    this.ctx.stats.connectFailures++;
    callHook(() => this.ctx.opts.hooks?.onConnectFailure?.(this.info, this.backend!, attempt, error));
    this.attempt++;
    if (this.attempt >= this.ctx.opts.maxAttempts) return this.reject("connect_failed");
    this.connect();
  }

  onUpstreamOpen(sock: Socket<UpstreamTag<B>>, attempt: number): void {
    if (this.state !== "connecting" || attempt !== this.attempt) return void sock.terminate();
    this.to("relaying");
    this.upstream = sock;
    // Relayed bytes must not wait for Nagle's algorithm on either side. Bun 1.4.4 already sets
    // TCP_NODELAY on both, but a tree without these calls had a worse -c1 p99 than one with them
    // in three A/B tail runs (unexplained; the kernel's option read the same), so they stay.
    sock.setNoDelay(true);
    this.client.setNoDelay(true);
    this.last = this.ctx.clock.now;
    this.up = new Flow(this.client, sock);
    this.down = new Flow(sock, this.client);
    this.opened = true;
    this.ctx.stats.relayed++;
    callHook(() => this.ctx.opts.hooks?.onOpen?.(this.info, this.backend!));
    const send = this.ctx.opts.sendProxy;
    if (send === "v1" || send === "v2") {
      const i = this.info;
      this.up.push(encodeProxyHeader(send, { ip: i.clientIp, port: i.clientPort }, { ip: i.destIp, port: i.destPort }));
    }
    for (const c of this.pending) this.up.push(c);
    this.pending = [];
    if (this.clientEof) this.up.finish();
    else if (this.up.queued === 0) this.client.resume();
  }

  onUpstreamData(d: Uint8Array): void {
    this.info.bytesOut += d.length;
    this.last = this.ctx.clock.now;
    this.down!.push(d);
  }

  onUpstreamEnd(): void {
    this.down?.finish();
  }

  onUpstreamDrain(): void {
    this.last = this.ctx.clock.now;
    this.up?.drain();
  }

  /** The backend's side closed; `err` when it broke off (Bun passes ECONNRESET for a reset). */
  onUpstreamClose(sock: Socket<UpstreamTag<B>>, err?: Error): void {
    if (sock !== this.upstream) return;
    this.upstream = undefined;
    if (err !== undefined && !this.clientClosed) return this.passReset();
    // What the upstream sent still reaches the client, then a FIN; client bytes are dropped.
    this.up?.abort();
    this.down?.finish();
    this.client.resume();
    if (this.clientClosed) return this.finalize();
    this.to("closing");
  }

  /**
   * Sweeper tick: enforces the preamble and connect limits, the idle timeout, and resets a
   * closing connection whose peers have not finished closing after LINGER_MS without progress.
   */
  tick(now: number): void {
    const s = this.state;
    if (s === "preamble" && now >= this.deadline) return this.reject("preamble_timeout");
    if (s === "connecting" && now >= this.deadline) {
      const timeout = new LbError("UPSTREAM_TIMEOUT", "upstream connect timed out", { retryable: true });
      return this.onConnectError(this.attempt, timeout);
    }
    if (s === "closing" && now - this.last >= LINGER_MS) return this.terminate();
    const idle = this.ctx.opts.idleTimeoutMs;
    if (s === "relaying" && idle > 0 && now - this.last >= idle) this.close();
  }

  /**
   * The backend broke the connection off: the client gets a reset too, not a FIN that would pass
   * for a clean end of the stream (HAProxy and nginx stream do the same). Bytes still queued for
   * the client are dropped, as the backend's reset dropped its own.
   */
  private passReset(): void {
    this.ctx.stats.upstreamResets++;
    callHook(() => this.ctx.opts.hooks?.onUpstreamReset?.(this.info, this.backend!));
    this.to("closing");
    this.client.terminate();
  }

  /** Ends both sides gracefully, with a reset after the linger (idle timeout, relay stop). */
  close(): void {
    if (this.state === "closed" || this.state === "closing") return;
    this.to("closing");
    this.last = this.ctx.clock.now;
    this.up?.abort();
    this.down?.abort();
    this.client.end();
  }

  /** Resets both sides now. */
  terminate(): void {
    this.upstream?.terminate();
    this.client.terminate();
  }

  private reject(reason: RejectReason): void {
    this.ctx.stats.rejected++;
    callHook(() => this.ctx.opts.hooks?.onReject?.(this.info, reason));
    this.to("closing");
    this.last = this.ctx.clock.now;
    this.pending = [];
    if (this.clientClosed) return this.finalize();
    this.client.end();
    this.client.resume(); // so the client's own FIN or close is seen
  }

  private finalize(): void {
    if (this.state === "closed") return;
    this.to("closed");
    this.ctx.conns.delete(this);
    this.ctx.stats.active--;
    this.ctx.stats.bytesIn += this.info.bytesIn;
    this.ctx.stats.bytesOut += this.info.bytesOut;
    if (this.opened) callHook(() => this.ctx.opts.hooks?.onClose?.(this.info, this.backend!));
    if (this.admitted && this.ctx.opts.hooks?.onEnd) callHook(() => this.ctx.opts.hooks?.onEnd?.(this.info));
  }
}
