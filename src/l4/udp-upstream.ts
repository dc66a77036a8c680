/**
 * A connected UDP socket to one backend: datagrams sent before the connect completes are held
 * (up to a bound) and flushed in order; only that backend's datagrams reach `onMessage`.
 * Shared by a flow's own upstream (udp-flow.ts) and the stateless path's per-backend socket
 * (udp-stateless.ts).
 */
import dgram from "node:dgram";
import { parseIpv4 } from "../net/index.ts";

export class UdpUpstream {
  private readonly sock: dgram.Socket;
  private queue: Uint8Array[] | undefined = [];
  closed = false;

  /** Opens and connects at once; on a socket error `onError` runs (until closed) and the owner closes it. */
  constructor(host: string, port: number, private readonly maxQueued: number, onMessage: (msg: Buffer) => void, onError: () => void) {
    this.sock = dgram.createSocket(parseIpv4(host) ? "udp4" : "udp6");
    this.sock.on("message", onMessage);
    this.sock.on("error", () => {
      if (!this.closed) onError();
    });
    this.sock.connect(port, host, () => this.flushQueue());
  }

  private flushQueue(): void {
    const q = this.queue;
    this.queue = undefined;
    if (this.closed || !q) return;
    for (const m of q) this.sock.send(m);
  }

  /** Sends (or holds while connecting); false when it had to be dropped (hold queue full, or closed). */
  send(msg: Uint8Array): boolean {
    if (this.closed) return false;
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
