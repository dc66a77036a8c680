/**
 * One HTTP/2 connection (RFC 9113), socket-agnostic: bytes come in through `feed`, go out through
 * an H2Output, and time comes in through `tick`. The same class serves both sides: "server" for a
 * client connection on a listener (peer streams are requests), "client" for a connection to a
 * backend (this side opens multiplexed streams with `request`).
 *
 * Everything a peer can do wrong ends in a RST_STREAM or a GOAWAY with the RFC's error code and a
 * count in `counters`; nothing a peer sends throws out of `feed`. Every method that writes batches
 * its frames and hands them to the transport in one write when the outermost call returns.
 */
import { DRAIN_PING, ErrorCode, MAX_STREAM_ID } from "./constants.ts";
import { ConnectionState } from "./connection-state.ts";
import { encodeFields, type ForwardFields } from "./encode-fields.ts";
import { ForwardMemo } from "./forward-memo.ts";
import type { H2Request } from "./events.ts";
import { readFrames } from "./read-frames.ts";
import { flushWaiting, sendDataNow, writeHeaderBlock } from "./send-data.ts";
import { StreamState, recycleStream, type H2Stream, type H2StreamHandler } from "./stream.ts";

export class H2Connection extends ConnectionState {
  /** The last response head forwarded that left the encoder's table unchanged (server side). */
  private memo: ForwardMemo | null = null;

  /** Bytes from the transport. */
  feed(buf: Buffer): void {
    if (this.closed) return;
    this.enter();
    try {
      readFrames(this, buf);
    } catch (e) {
      this.fail(e);
    } finally {
      this.leave();
    }
  }

  /** The transport has room again (e.g. the socket's drain event). */
  onWriterDrained(): void {
    if (this.closed) return;
    this.w.blocked = false;
    this.enter();
    flushWaiting(this);
    this.leave();
  }

  /** The transport closed: every open stream is reset, the owner is told. */
  transportClosed(): void {
    if (this.closed) return;
    this.finish(ErrorCode.CANCEL, "TRANSPORT_CLOSED", false);
  }

  /** Periodic housekeeping with the owner's clock: flood budget, stalls, SETTINGS timeout. */
  tick(nowMs: number): void {
    if (this.closed) return;
    this.enter();
    this.guard.tick(this, nowMs);
    this.leave();
  }


  /** Server side: sends the response head (lower-case names; connection-specific fields dropped). */
  respond(s: H2Stream, status: number, fields: readonly string[] | ForwardFields, endStream: boolean): void {
    if (this.closed || !s.writable || s.headSent) return;
    this.enter();
    this.encoder.begin();
    this.encoder.status(status);
    encodeFields(this.encoder, fields, Array.isArray(fields) ? null : (this.memo ??= new ForwardMemo()));
    this.sendHead(s, endStream);
    this.leave();
  }

  /** Sends an interim (1xx) response head; the final one follows with `respond`. */
  informational(s: H2Stream, status: number, fields: readonly string[] = []): void {
    if (this.closed || !s.writable || s.headSent) return;
    this.enter();
    this.encoder.begin();
    this.encoder.status(status);
    encodeFields(this.encoder, fields);
    writeHeaderBlock(this, s.id, false);
    this.leave();
  }

  /**
   * Client side: opens a stream and sends the request head. null when the peer's
   * SETTINGS_MAX_CONCURRENT_STREAMS is reached, a GOAWAY was exchanged, or ids ran out: use
   * another connection.
   */
  request(handler: H2StreamHandler, req: H2Request, endStream: boolean): H2Stream | null {
    if (this.closed || this.goawaySent || this.goawayReceived || this.localActive >= this.peerMaxStreams) return null;
    if (this.nextLocalStreamId > MAX_STREAM_ID) return null;
    const s = this.openStream(this.nextLocalStreamId, false);
    this.nextLocalStreamId += 2;
    s.handler = handler;
    s.noBody = req.method === "HEAD";
    this.enter();
    this.encoder.begin();
    this.encoder.field(":method", req.method);
    if (req.method !== "CONNECT" || req.protocol !== undefined) {
      this.encoder.field(":scheme", req.scheme);
      this.encoder.field(":path", req.path);
    }
    this.encoder.field(":authority", req.authority);
    if (req.protocol !== undefined) this.encoder.field(":protocol", req.protocol);
    if (req.fields) encodeFields(this.encoder, req.fields);
    this.sendHead(s, endStream);
    this.leave();
    return s;
  }

  private sendHead(s: H2Stream, endStream: boolean): void {
    writeHeaderBlock(this, s.id, endStream);
    s.headSent = true;
    if (endStream) this.endLocal(s);
  }

  /**
   * Sends body bytes buf[start, end) (the caller must not reuse `buf`: what waits for window is
   * kept by reference). Returns false when the stream or the connection holds more than its buffer
   * allows: stop producing until the handler's onWritable. A closed stream takes and drops it.
   */
  sendData(s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): boolean {
    if (this.closed || !s.writable || s.endQueued) return true;
    this.enter();
    const ok = sendDataNow(this, s, buf, start, end, endStream);
    this.leave();
    return ok;
  }

  /** Ends the stream with trailers (after any DATA still waiting). */
  sendTrailers(s: H2Stream, fields: readonly string[]): void {
    if (this.closed || !s.writable || s.endQueued) return;
    this.enter();
    if (s.queued > 0) {
      s.trailersQueued = fields;
      s.endQueued = true;
    } else {
      this.encoder.begin();
      encodeFields(this.encoder, fields);
      writeHeaderBlock(this, s.id, true);
      this.endLocal(s);
    }
    this.leave();
  }

  /** Resets a stream (RST_STREAM `code`); its handler is not told (the caller knows). */
  reset(s: H2Stream, code: number = ErrorCode.CANCEL): void {
    if (this.closed || s.state === StreamState.Closed) return;
    this.enter();
    s.handler = null;
    this.resetStreamId(s.id, code, "LOCAL_RESET");
    this.leave();
  }

  /**
   * The owner is done with closed stream `s` and keeps no reference to it, nor to the head it
   * opened with (server side): a later stream may reuse the object and the head's buffers.
   */
  recycle(s: H2Stream): void {
    recycleStream(s);
  }

  /** Stops (pause) or restarts (resume) giving the peer window for `s`: backpressure on its body. */
  pause(s: H2Stream): void {
    s.paused = true;
  }

  resume(s: H2Stream): void {
    if (!s.paused) return;
    s.paused = false;
    if (s.unacked === 0 || !s.readable || this.closed) return;
    this.enter();
    this.w.windowUpdate(s.id, s.unacked);
    s.recvWindow += s.unacked;
    s.unacked = 0;
    this.leave();
  }

  /** Sends a PING (a liveness check); the peer's ACK is not reported. */
  ping(payload: Buffer = Buffer.alloc(8)): void {
    if (this.closed) return;
    this.enter();
    this.w.ping(false, payload, 0);
    this.leave();
  }

  /**
   * Graceful close (drain, SIGTERM): GOAWAY, so the peer opens no new stream here, while the
   * streams in flight finish; the transport closes after the last one. A server sends GOAWAY with
   * the largest id first and the real last id a PING round trip later, so requests already on the
   * wire are not lost (RFC 9113 §6.8).
   */
  shutdown(): void {
    if (this.closed || this.goawaySent) return;
    this.enter();
    this.goawaySent = true;
    this.opts.counters.goawaysSent++;
    if (this.role === "server") {
      this.draining = true;
      this.w.goaway(MAX_STREAM_ID, ErrorCode.NO_ERROR, "");
      this.w.ping(false, DRAIN_PING, 0);
    } else {
      this.acceptUpTo = this.lastPeerStreamId;
      this.w.goaway(this.lastPeerStreamId, ErrorCode.NO_ERROR, "");
      this.closeIfIdle();
    }
    this.leave();
  }

}
