/**
 * One UDP flow: a client address:port bound to a backend through its own connected upstream
 * socket, so the backend's replies come back on that socket and go to exactly this client.
 */
import type { ConnInfo } from "./conn-info.ts";
import type { UpstreamAddress } from "./relay-options.ts";
import { UdpUpstream } from "./udp-upstream.ts";

/** Sends a reply datagram to the flow's client (through the listener's socket). */
export type ReplyFn = (msg: Uint8Array, port: number, ip: string) => void;

export class UdpFlow<B extends UpstreamAddress> {
  private readonly upstream: UdpUpstream;
  /** Sweeper tick of the last datagram either way (coarse, for idle expiry and LRU order). */
  lastTick: number;
  /** performance.now() of the last datagram either way (exact, for the evict-only-if-idle rule). */
  lastMs: number;

  constructor(
    readonly key: string,
    readonly info: ConnInfo,
    readonly backend: B,
    tick: number,
    nowMs: number,
    maxQueued: number,
    reply: ReplyFn,
    onError: (flow: UdpFlow<B>) => void,
    onReply: (flow: UdpFlow<B>) => void,
  ) {
    this.lastTick = tick;
    this.lastMs = nowMs;
    this.upstream = new UdpUpstream(backend.host, backend.port, maxQueued, (msg) => {
      this.info.bytesOut += msg.length;
      onReply(this);
      reply(msg, info.peerPort, info.peerIp);
    }, () => onError(this));
  }

  get closed(): boolean {
    return this.upstream.closed;
  }

  /** Forwards a client datagram; false when it had to be dropped (queue full while connecting). */
  send(msg: Uint8Array): boolean {
    this.info.bytesIn += msg.length;
    return this.upstream.send(msg);
  }

  close(): void {
    this.upstream.close();
  }
}
