/**
 * What a client connection may start with before its first request: a PROXY header (v1/v2, on
 * listeners that require one, from trusted peers only), then, on h2c listeners, HTTP/2's preface
 * (prior knowledge, RFC 9113 §3.3). Bytes are kept until both are decided, then handed back whole
 * to whichever codec reads them.
 */
import { ProxyHeaderReader, type ProxyAcceptOptions } from "../net/index.ts";
import { looksLikePreface } from "../h2/index.ts";

export type PreambleResult =
  /** Undecided: more bytes are needed. */
  | "wait"
  /** An untrusted peer or a malformed PROXY header: close the connection. */
  | "invalid"
  /** Decided: the bytes after the PROXY header, and whether they open an HTTP/2 connection. */
  | { bytes: Buffer; h2: boolean };

export class ConnPreamble {
  /** The client address a trusted PROXY header carried (null: none, or not read yet). */
  source: string | null = null;
  private proxy: ProxyHeaderReader | null;
  private sniffing: boolean;
  /** HTTP/2 only: no sniffing, the codec checks the preface (and answers GOAWAY to anything else). */
  private readonly h2Only: boolean;
  private seen: Buffer | null = null;

  constructor(peer: string, acceptProxy: ProxyAcceptOptions | undefined, h2c: boolean | "only") {
    this.proxy = acceptProxy ? new ProxyHeaderReader(peer, acceptProxy) : null;
    this.h2Only = h2c === "only";
    this.sniffing = h2c === true;
  }

  push(buf: Buffer): PreambleResult {
    if (this.proxy !== null) {
      const r = this.proxy.push(buf);
      if (r.status === "need_more") return "wait";
      if (r.status === "invalid") return "invalid";
      this.proxy = null;
      if (r.header.source) this.source = r.header.source.ip;
      buf = Buffer.from(r.rest.buffer, r.rest.byteOffset, r.rest.length);
    }
    if (!this.sniffing) return { bytes: buf, h2: this.h2Only };
    const all = this.seen === null ? buf : Buffer.concat([this.seen, buf]);
    const verdict = all.length === 0 ? "maybe" : looksLikePreface(all);
    if (verdict === "maybe") {
      this.seen = all;
      return "wait";
    }
    this.seen = null;
    this.sniffing = false;
    return { bytes: all, h2: verdict === "yes" };
  }
}
