/**
 * What the L4 data plane knows about one client connection, handed to the chooser and the hooks.
 * `clientIp`/`clientPort` are the client identity: the address a trusted PROXY header carried,
 * else the TCP peer's.
 */
import { encodeTuple, PROTO_TCP, TUPLE_BYTES } from "../wasm/index.ts";
import type { ProxyHeader } from "../net/index.ts";

/** One client connection (or UDP flow) on an L4 listener. Fields fill in as the preamble is read. */
export class ConnInfo {
  clientIp: string;
  clientPort: number;
  /** The address the client connected to (a PROXY header's destination when one was accepted). */
  destIp: string;
  destPort: number;
  /** From the ClientHello on `tls_passthrough` listeners; undefined when absent or not read. */
  sni?: string;
  alpn?: string[];
  /** The accepted PROXY header, if the listener requires one. */
  proxyHeader?: ProxyHeader;
  /** Bytes read from the client / from the upstream (the preamble included). */
  bytesIn = 0;
  bytesOut = 0;
  readonly openedAt = Date.now();
  /** Free for the caller: e.g. the config Snapshot pinned in `onAccept` for this connection's life. */
  slot?: unknown;
  private tupleBytes?: Uint8Array;

  constructor(
    readonly id: number,
    readonly peerIp: string,
    readonly peerPort: number,
    readonly localIp: string,
    readonly localPort: number,
    /** IP protocol number: PROTO_TCP for tcp / tls_passthrough, PROTO_UDP for a udp flow. */
    readonly proto: number = PROTO_TCP,
  ) {
    this.clientIp = peerIp;
    this.clientPort = peerPort;
    this.destIp = localIp;
    this.destPort = localPort;
  }

  /** Applies an accepted PROXY header: its addresses (when it has any) become the identity. */
  applyProxyHeader(h: ProxyHeader): void {
    this.proxyHeader = h;
    if (!h.source || !h.destination) return;
    this.clientIp = h.source.ip;
    this.clientPort = h.source.port;
    this.destIp = h.destination.ip;
    this.destPort = h.destination.port;
  }

  /** The shared 40-byte 5-tuple (client → destination, `proto`), encoded on first use. */
  tuple(): Uint8Array {
    if (!this.tupleBytes) {
      this.tupleBytes = new Uint8Array(TUPLE_BYTES);
      encodeTuple(this.tupleBytes, 0, this.clientIp, this.clientPort, this.destIp, this.destPort, this.proto);
    }
    return this.tupleBytes;
  }
}
