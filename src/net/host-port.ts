/**
 * "host:port" as the config writes listener and backend addresses (IPv6 as "[::1]:port"). Parsers
 * return a value or an error string (the validation message), never throw: validation collects
 * every problem.
 */
import { ipFamily } from "./ip.ts";

/** A parsed "host:port"; `host` has no brackets ("::1"). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One DNS label (RFC 1123, with "_" as some internal zones use it). */
export const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`, "i");
// An all-numeric last label is an IPv4 address or a mistake ("1.2.3", "010.0.0.1"), never a name.
const NUMERIC_TAIL = /(?:^|\.)\d+\.?$/;

/** True for a DNS host name (RFC 1123 labels, an optional trailing dot), not an IP. */
export function isHostname(s: string): boolean {
  return s.length <= 254 && HOSTNAME.test(s) && !NUMERIC_TAIL.test(s);
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
    if (ipFamily(host) !== 6) return `"${host}" is not an IPv6 address`;
  } else {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return `"${s}" has no port (host:port)`;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":")) return `"${s}": an IPv6 address goes in brackets, like [::1]:80`;
    if (ipFamily(host) !== 4 && !isHostname(host)) return `"${host}" is not an IP address or host name`;
  }
  if (!/^\d{1,5}$/.test(portText)) return `"${portText}" is not a port`;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return `port ${port} is out of range`;
  return { host, port };
}
