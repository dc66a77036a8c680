/**
 * PROXY protocol encoders: what Fulcrum prepends to an upstream connection (listener
 * `proxy_protocol.send: v1 | v2`) so the backend sees the real client address.
 */
import { LbError } from "../../errors.ts";
import { formatIpv4, formatIpv6, isV4Mapped, parseIp } from "../ip.ts";
import { PROXY_V2_SIGNATURE, type ProxyAddress } from "./header.ts";

function ipBytes(a: ProxyAddress): Uint8Array {
  const b = parseIp(a.ip);
  if (!b || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new LbError("INVALID_ARGUMENT", `bad PROXY address ${a.ip}:${a.port}`);
  }
  return b;
}

/**
 * v1 text line for a TCP connection: "PROXY TCP4 src dst sport dport\r\n", TCP6 when either side
 * is native IPv6 (an IPv4 side is then written in its ::ffff: form). Without addresses: UNKNOWN.
 */
export function encodeProxyV1(source?: ProxyAddress, destination?: ProxyAddress): Uint8Array {
  if (!source || !destination) return new TextEncoder().encode("PROXY UNKNOWN\r\n");
  const s = ipBytes(source);
  const d = ipBytes(destination);
  const v4 = isV4Mapped(s) && isV4Mapped(d);
  const text = (b: Uint8Array): string =>
    v4 ? formatIpv4(b, 12) : isV4Mapped(b) ? `::ffff:${formatIpv4(b, 12)}` : formatIpv6(b);
  const line = `PROXY ${v4 ? "TCP4" : "TCP6"} ${text(s)} ${text(d)} ${source.port} ${destination.port}\r\n`;
  return new TextEncoder().encode(line);
}

/** The header `send: v1 | v2` puts in front of an upstream TCP connection. */
export function encodeProxyHeader(version: "v1" | "v2", source: ProxyAddress, destination: ProxyAddress): Uint8Array {
  return version === "v1" ? encodeProxyV1(source, destination) : encodeProxyV2({ source, destination });
}

/** What to announce in a v2 header. */
export interface ProxyV2Options {
  command?: "proxy" | "local";
  transport?: "tcp" | "udp";
  source?: ProxyAddress;
  destination?: ProxyAddress;
  /** Raw TLVs to append (already encoded). */
  tlvs?: Uint8Array;
}

/**
 * v2 binary header (§2.2). PROXY with both addresses → INET (both IPv4) or INET6, STREAM for tcp
 * and DGRAM for udp; LOCAL (or no addresses) → AF_UNSPEC with no address block.
 */
export function encodeProxyV2(opts: ProxyV2Options): Uint8Array {
  const tlvs = opts.tlvs ?? new Uint8Array(0);
  const local = opts.command === "local" || !opts.source || !opts.destination;
  let famByte = 0x00;
  let addr = new Uint8Array(0);
  if (!local) {
    const s = ipBytes(opts.source!);
    const d = ipBytes(opts.destination!);
    const proto = opts.transport === "udp" ? 0x2 : 0x1;
    const v4 = isV4Mapped(s) && isV4Mapped(d);
    addr = new Uint8Array(v4 ? 12 : 36);
    const dv = new DataView(addr.buffer);
    if (v4) {
      addr.set(s.subarray(12), 0);
      addr.set(d.subarray(12), 4);
    } else {
      addr.set(s, 0);
      addr.set(d, 16);
    }
    dv.setUint16(v4 ? 8 : 32, opts.source!.port);
    dv.setUint16(v4 ? 10 : 34, opts.destination!.port);
    famByte = ((v4 ? 0x1 : 0x2) << 4) | proto;
  }
  const len = addr.length + tlvs.length;
  if (len > 0xffff) throw new LbError("INVALID_ARGUMENT", "PROXY v2 header too long");
  const out = new Uint8Array(16 + len);
  out.set(PROXY_V2_SIGNATURE);
  out[12] = local ? 0x20 : 0x21;
  out[13] = famByte;
  out[14] = len >> 8;
  out[15] = len & 0xff;
  out.set(addr, 16);
  out.set(tlvs, 16 + addr.length);
  return out;
}
