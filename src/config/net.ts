/**
 * Address parsing shared by validation and compile: "host:port" (IPv6 as "[::1]:port"), CIDRs, and
 * the host patterns of routes and SNI rules. Parsers return a value or an error string (the
 * validation message), never throw: validation collects every problem.
 */
import { isIP, isIPv4, isIPv6 } from "node:net";

/** A parsed "host:port"; `host` has no brackets ("::1"). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A parsed CIDR; a bare IP means the single address (/32 or /128). */
export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefix: number;
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`, "i");
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`, "i");

/** True for a DNS host name (RFC 1123 labels), not an IP. */
export function isHostname(s: string): boolean {
  return s.length <= 253 && HOSTNAME.test(s) && isIP(s) === 0;
}

/** True for a route host / SNI name: a host name, optionally "*." + host name. */
export function isHostPattern(s: string): boolean {
  return s.length <= 253 && HOST_PATTERN.test(s);
}

/** Parses "host:port"; a listener may use port 0 (the OS picks), a backend may not. */
export function parseHostPort(s: string, allowPortZero = false): HostPort | string {
  let host: string;
  let portText: string;
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0 || s[end + 1] !== ":") return `"${s}" is not host:port ([v6]:port for IPv6)`;
    host = s.slice(1, end);
    portText = s.slice(end + 2);
    if (!isIPv6(host)) return `"${host}" is not an IPv6 address`;
  } else {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return `"${s}" has no port (host:port)`;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":")) return `"${s}": an IPv6 address goes in brackets, like [::1]:80`;
    if (!isIPv4(host) && !isHostname(host)) return `"${host}" is not an IP address or host name`;
  }
  if (!/^\d{1,5}$/.test(portText)) return `"${portText}" is not a port`;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return `port ${port} is out of range`;
  return { host, port };
}

/** Parses "10.0.0.0/8", "::1/128" or a bare IP. */
export function parseCidr(s: string): Cidr | string {
  const slash = s.indexOf("/");
  const address = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(address);
  if (family !== 4 && family !== 6) return `"${address}" is not an IP address`;
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, address, prefix: max };
  const text = s.slice(slash + 1);
  const prefix = Number(text);
  if (!/^\d{1,3}$/.test(text) || prefix > max) return `"/${text}" is not a prefix length for IPv${family}`;
  return { family, address, prefix };
}

/** The 4 or 16 bytes of an IP address, or undefined when it does not parse. */
export function ipBytes(ip: string): Uint8Array | undefined {
  if (isIPv4(ip)) return Uint8Array.from(ip.split(".").map(Number));
  if (!isIPv6(ip)) return undefined;
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes its two hex words first.
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, rest] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":").map((h) => parseInt(h, 16)) : [];
  const right = rest ? rest.split(":").map((h) => parseInt(h, 16)) : [];
  const fill = 8 - left.length - right.length;
  const words = [...left, ...new Array<number>(Math.max(0, fill)).fill(0), ...right];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** True when `ip` lies in `cidr`; an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") matches IPv4 CIDRs. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  let bytes = ipBytes(ip);
  if (!bytes) return false;
  if (cidr.family === 4 && bytes.length === 16 && isV4Mapped(bytes)) bytes = bytes.subarray(12);
  const net = ipBytes(cidr.address)!;
  if (bytes.length !== net.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
