/**
 * One UDP flow: a client address:port bound to a backend through its own connected upstream
 * socket, so the backend's replies come back on that socket and go to exactly this client.
 */
import dgram from "node:dgram";
import type { ConnInfo } from "./conn-info.ts";
import { parseIpv4 } from "./ip.ts";
import type { UpstreamAddress } from "./relay-options.ts";

/** Sends a reply datagram to the flow's client (through the listener's socket). */
export type ReplyFn = (msg: Uint8Array, port: number, ip: string) => void;

export class UdpFlow<B extends UpstreamAddress> {
  private readonly sock: dgram.Socket;
  private queue: Uint8Array[] | undefined = [];
  /** Sweeper tick of the last datagram either way (coarse, for idle expiry and LRU order). */
  lastTick: number;
  closed = false;

  constructor(
    readonly key: string,
    readonly info: ConnInfo,
    readonly backend: B,
    tick: number,
    private readonly maxQueued: number,
    reply: ReplyFn,
    onError: (flow: UdpFlow<B>) => void,
    onReply: () => void,
  ) {
    this.lastTick = tick;
    this.sock = dgram.createSocket(parseIpv4(backend.host) ? "udp4" : "udp6");
    this.sock.on("message", (msg) => {
      this.info.bytesOut += msg.length;
      onReply();
      reply(msg, info.peerPort, info.peerIp);
    });
    this.sock.on("error", () => onError(this));
    this.sock.connect(backend.port, backend.host, () => this.flushQueue());
  }

  private flushQueue(): void {
    const q = this.queue;
    this.queue = undefined;
    if (this.closed || !q) return;
    for (const m of q) this.sock.send(m);
  }

  /** Forwards a client datagram; false when it had to be dropped (queue full while connecting). */
  send(msg: Uint8Array): boolean {
    this.info.bytesIn += msg.length;
    if (this.queue) {
      if (this.queue.length >= this.maxQueued) return false;
      this.queue.push(msg);
      return true;
    }
    this.sock.send(msg);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = undefined;
    try {
      this.sock.close();
    } catch {
      // already closed after a socket error
    }
  }
}
