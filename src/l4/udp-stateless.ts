/**
 * The UDP listener's stateless path, used when the flow table is full of live flows (a flood of
 * new client addresses): a datagram that gets no flow is still forwarded, through ONE shared
 * connected socket per backend, opened on first use and closed when its backend leaves, when it
 * has been idle for the listener's idle timeout, or when the listener stops. No per-client state
 * is kept, so what a backend sends back on a shared socket cannot be attributed to a client: it
 * is counted and dropped.
 */
import type { UpstreamAddress } from "./relay-options.ts";
import { UdpUpstream } from "./udp-upstream.ts";

/** One backend's shared socket. */
interface Shared<B> {
  readonly upstream: UdpUpstream;
  readonly backend: B;
  lastMs: number;
}

export class UdpStatelessForwarder<B extends UpstreamAddress> {
  /** host → port → socket: two lookups, no key string built per datagram. */
  private readonly byHost = new Map<string, Map<number, Shared<B>>>();
  private count = 0;

  /** `onReply` runs for every datagram a backend sends back on a shared socket (it is dropped). */
  constructor(private readonly maxQueued: number, private readonly onReply: () => void) {}

  /** Open shared sockets. */
  get size(): number {
    return this.count;
  }

  /** Forwards `msg` to `backend`; false when it had to be dropped (socket still connecting and its queue full). */
  send(backend: B, msg: Uint8Array, nowMs: number): boolean {
    let ports = this.byHost.get(backend.host);
    let s = ports?.get(backend.port);
    if (!s) {
      if (!ports) this.byHost.set(backend.host, (ports = new Map()));
      s = this.open(backend, nowMs);
      ports.set(backend.port, s);
    }
    s.lastMs = nowMs;
    return s.upstream.send(msg);
  }

  private open(backend: B, nowMs: number): Shared<B> {
    this.count++;
    const s: Shared<B> = {
      backend,
      lastMs: nowMs,
      // A socket error (e.g. ICMP port unreachable) drops the socket; the next datagram reopens it.
      upstream: new UdpUpstream(backend.host, backend.port, this.maxQueued, this.onReply, () => this.remove(s)),
    };
    return s;
  }

  private remove(s: Shared<B>): void {
    const ports = this.byHost.get(s.backend.host);
    if (ports?.get(s.backend.port) !== s) return;
    s.upstream.close();
    this.count--;
    ports.delete(s.backend.port);
    if (ports.size === 0) this.byHost.delete(s.backend.host);
  }

  /** Closes the sockets whose backend `match` accepts (backend removed or failed); returns how many. */
  closeMatching(match: (backend: B) => boolean): number {
    let n = 0;
    for (const s of this.all()) {
      if (!match(s.backend)) continue;
      this.remove(s);
      n++;
    }
    return n;
  }

  /** Closes the sockets unused for `idleMs` (a backend no longer chosen, or the flood is over). */
  sweep(nowMs: number, idleMs: number): void {
    if (this.count === 0) return;
    for (const s of this.all()) if (nowMs - s.lastMs >= idleMs) this.remove(s);
  }

  closeAll(): void {
    for (const s of this.all()) this.remove(s);
  }

  private all(): Shared<B>[] {
    const out: Shared<B>[] = [];
    for (const ports of this.byHost.values()) for (const s of ports.values()) out.push(s);
    return out;
  }
}
