/**
 * Accepting a PROXY header on a listener (`proxy_protocol.accept_from`): only peers inside the
 * trusted CIDR list may send one, and every connection from them must (proxy-protocol.txt §2:
 * a receiver must not try to guess whether a header is present). The caller owns the time limit
 * (the L4 relay arms one timer for its whole preamble) and closes the connection on "invalid".
 */
import type { CidrList } from "../cidr.ts";
import { GrowBuffer } from "../grow-buffer.ts";
import type { ProxyHeader } from "./header.ts";
import { PROXY_V2_DEFAULT_MAX } from "./header.ts";
import { parseProxyHeader } from "./parse.ts";

/** Result of feeding bytes: with "ok", `rest` is what followed the header (may be empty). */
export type ProxyReadResult =
  | { status: "need_more" }
  | { status: "ok"; header: ProxyHeader; rest: Uint8Array }
  | { status: "invalid"; reason: string };

/** Options for one listener. */
export interface ProxyAcceptOptions {
  trusted: CidrList;
  /** Cap on a v2 header, TLVs included (default 4096). */
  maxV2Bytes?: number;
}

/** Buffers the start of one connection until its PROXY header is complete. */
export class ProxyHeaderReader {
  private readonly buf = new GrowBuffer(128);
  /** Whether the peer may send a header at all. */
  readonly trusted: boolean;

  constructor(peerIp: string, private readonly opts: ProxyAcceptOptions) {
    this.trusted = opts.trusted.contains(peerIp);
  }

  /** Feeds the next chunk; "invalid" is final (untrusted peer, malformed or oversized header). */
  push(chunk: Uint8Array): ProxyReadResult {
    if (!this.trusted) return { status: "invalid", reason: "PROXY header from an untrusted peer" };
    const next = this.buf.append(chunk);
    const r = parseProxyHeader(next, this.opts.maxV2Bytes ?? PROXY_V2_DEFAULT_MAX);
    if (r.status !== "ok") return r;
    return { status: "ok", header: r.header, rest: next.slice(r.length) };
  }
}
