/**
 * The bytes a client sends before a backend is chosen: a PROXY header (listeners that require
 * one) and then, on TLS passthrough listeners, the ClientHello. Pure state: the relay feeds
 * chunks and owns the time limit; the hello bytes are kept and later forwarded untouched.
 */
import { parseClientHello } from "../wasm/index.ts";
import type { ConnInfo } from "./conn-info.ts";
import { GrowBuffer, ProxyHeaderReader } from "../net/index.ts";
import type { RejectReason, TcpRelayOptions } from "./relay-options.ts";

/** "done": the preamble is complete and `rest` (possibly empty) goes to the upstream first. */
export type PreambleResult =
  | { status: "wait" }
  | { status: "done"; rest: Uint8Array }
  | { status: "reject"; reason: RejectReason };

const WAIT: PreambleResult = { status: "wait" };

/** True when a listener with these options must read a preamble before choosing. */
export function needsPreamble(opts: Pick<TcpRelayOptions<never>, "acceptProxy" | "tlsPassthrough">): boolean {
  return opts.acceptProxy !== undefined || opts.tlsPassthrough === true;
}

export class Preamble {
  private proxy?: ProxyHeaderReader;
  private hello = new GrowBuffer();
  private need = 0;

  constructor(private readonly conn: ConnInfo, private readonly opts: Pick<TcpRelayOptions<never>, "acceptProxy" | "tlsPassthrough">) {
    if (opts.acceptProxy) this.proxy = new ProxyHeaderReader(conn.peerIp, opts.acceptProxy);
  }

  /** Checked at accept time: an untrusted peer on a PROXY-accepting listener is refused at once. */
  refusedAtOpen(): RejectReason | undefined {
    return this.proxy && !this.proxy.trusted ? "untrusted_peer" : undefined;
  }

  push(chunk: Uint8Array): PreambleResult {
    if (this.proxy) {
      const r = this.proxy.push(chunk);
      if (r.status === "need_more") return WAIT;
      if (r.status === "invalid") return { status: "reject", reason: this.proxy.trusted ? "bad_proxy_header" : "untrusted_peer" };
      this.proxy = undefined;
      this.conn.applyProxyHeader(r.header);
      chunk = r.rest;
      if (!this.opts.tlsPassthrough) return { status: "done", rest: chunk };
      if (chunk.length === 0) return WAIT;
    }
    return this.pushHello(chunk);
  }

  private pushHello(chunk: Uint8Array): PreambleResult {
    const next = this.hello.append(chunk);
    // The kernel said how many bytes it needs at least: skip re-parsing until they are here.
    if (next.length < this.need) return WAIT;
    const r = parseClientHello(next);
    switch (r.status) {
      case "need_more":
        this.need = r.need ?? 0;
        return WAIT;
      case "not_tls":
        return { status: "reject", reason: "not_tls" };
      case "malformed":
        return { status: "reject", reason: "bad_client_hello" };
      default:
        this.conn.sni = r.sni;
        this.conn.alpn = r.alpn;
        return { status: "done", rest: next.slice() };
    }
  }
}
