/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) as Fulcrum sees it:
 * which connection a proxy in front of us relayed, so its client address can become ours.
 */

/** One side of the relayed connection. `ip` is plain text: dotted quad or RFC 5952 IPv6. */
export interface ProxyAddress {
  ip: string;
  port: number;
}

/**
 * A parsed or to-be-encoded header. `command: "local"` (v2) and v1 `UNKNOWN` carry no addresses:
 * the connection is the proxy's own (a health check), so the peer address stays the identity.
 */
export interface ProxyHeader {
  version: 1 | 2;
  command: "proxy" | "local";
  transport: "tcp" | "udp" | "unspec";
  source?: ProxyAddress;
  destination?: ProxyAddress;
  /** v2 only: the raw TLV bytes after the addresses (kept, not interpreted). */
  tlvs?: Uint8Array;
}

/** v2's 12-byte signature (proxy-protocol.txt §2.2). */
export const PROXY_V2_SIGNATURE = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** v1's longest legal line, CRLF included (§2.1). */
export const PROXY_V1_MAX = 107;

/** Default cap on a whole v2 header we are willing to buffer (fixed part + addresses + TLVs). */
export const PROXY_V2_DEFAULT_MAX = 4096;
