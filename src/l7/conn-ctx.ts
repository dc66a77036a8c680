/**
 * The hooks' view of one client connection (ConnCtx). The Session makes it at accept and hands it
 * with the socket to an H2Session when the connection turns out to speak HTTP/2 (ALPN h2, an h2c
 * preface), so onConnOpen and onConnClose run once per connection whichever codec serves it, and
 * every request on it (each HTTP/2 stream too) sees the same `slot`.
 */
import type { Socket } from "bun";
import { runConnHook } from "./guard.ts";
import type { ConnCtx, ProxyHooks, TlsPeer } from "./hooks.ts";

export class SocketConnCtx implements ConnCtx {
  slot: unknown = undefined;
  /** onConnOpen ran, so onConnClose will. */
  private announced = false;

  constructor(private readonly socket: Socket<unknown>, private readonly tls: boolean, public clientAddress: string) {}

  tlsPeer(): TlsPeer | null {
    if (!this.tls) return null;
    const s = this.socket;
    const cert = s.getPeerX509Certificate() ?? undefined;
    const why = cert && !s.authorized ? (s.getAuthorizationError() as { code?: string } | null)?.code : undefined;
    return { cert, authorized: s.authorized, local: s.getX509Certificate() ?? undefined, ...(why ? { verifyError: why } : {}) };
  }

  /** The client's address is final (after the PROXY header, if one is required): onConnOpen. */
  open(hooks: ProxyHooks<any>): void {
    if (this.announced) return;
    this.announced = true;
    runConnHook(hooks.onConnOpen, this);
  }

  /** The socket closed: onConnClose, once, for a connection that had onConnOpen. */
  close(hooks: ProxyHooks<any>): void {
    if (!this.announced) return;
    this.announced = false;
    runConnHook(hooks.onConnClose, this);
  }
}
