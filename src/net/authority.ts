/**
 * The authority a request names, from its Host field or an absolute-form target (RFC 9110 §7.2,
 * RFC 3986 §3.2.2–3.2.3), checked as Fulcrum accepts it: a host that can name a server, then
 * optionally ":" and a port. The host is a DNS name or dotted quad (labels of letters, digits,
 * "-" and "_", none empty, at most one trailing dot) or a bracketed IPv6 literal. Refused: an
 * empty value, userinfo, percent-encoding and the other reg-name sub-delims, an empty or
 * out-of-range port. nginx refuses the empty value and empty labels too; the rest is stricter.
 */
import { hostOfAuthority } from "./host-pattern.ts";
import { parseIpv6 } from "./ip.ts";

const DOT = 46, COLON = 58, OPEN = 91, CLOSE = 93;
const MAX_NAME = 253;
const MAX_LABEL = 63;

/** 1 for the bytes a name's label may hold: A-Z a-z 0-9 "-" "_". */
const LABEL_BYTE = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    t[b] = alnum || b === 0x2d || b === 0x5f ? 1 : 0;
  }
  return t;
})();

/**
 * Checks buf[s, e) is `host [":" port]` as above. Returns where the host ends (the ":" of the
 * port, or `e`), or -1 when the value is refused. Allocates only for an IPv6 literal.
 */
export function scanAuthority(buf: Uint8Array, s: number, e: number): number {
  if (s >= e) return -1;
  const hostEnd = buf[s] === OPEN ? scanIpLiteral(buf, s, e) : scanName(buf, s, e);
  if (hostEnd < 0) return -1;
  if (hostEnd === e) return e;
  if (buf[hostEnd] !== COLON) return -1;
  let port = 0;
  const digits = e - hostEnd - 1;
  if (digits < 1 || digits > 5) return -1;
  for (let i = hostEnd + 1; i < e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    port = port * 10 + d;
  }
  return port <= 65535 ? hostEnd : -1;
}

/** End of a name's labels at s (stops at ":" or e), or -1. */
function scanName(buf: Uint8Array, s: number, e: number): number {
  let label = 0;
  let i = s;
  for (; i < e; i++) {
    const b = buf[i]!;
    if (LABEL_BYTE[b] === 1) {
      if (++label > MAX_LABEL) return -1;
    } else if (b === DOT) {
      if (label === 0) return -1; // leading dot or ".."
      label = 0;
    } else if (b === COLON) break;
    else return -1;
  }
  if (i === s) return -1;
  const len = buf[i - 1] === DOT ? i - s - 1 : i - s;
  return len <= MAX_NAME ? i : -1;
}

/** End of "[IPv6]" at s (just past "]"), or -1; zone ids and IPvFuture are refused. */
function scanIpLiteral(buf: Uint8Array, s: number, e: number): number {
  let close = s + 1;
  while (close < e && buf[close] !== CLOSE) close++;
  if (close >= e || close - s > 46) return -1;
  const text = String.fromCharCode(...buf.subarray(s + 1, close));
  return parseIpv6(text) ? close + 1 : -1;
}

/** The port of an authority accepted by scanAuthority, or `defaultPort` when it names none. */
export function authorityPort(authority: string, defaultPort: number): number {
  const close = authority.charCodeAt(0) === OPEN ? authority.indexOf("]") : -1;
  const colon = authority.indexOf(":", close + 1);
  return colon < 0 ? defaultPort : Number(authority.slice(colon + 1));
}

/**
 * True when two accepted authorities name the same server: hosts equal ignoring case and a
 * trailing dot, ports equal with `defaultPort` for a missing one ("A.test.:80" is "a.test").
 */
export function sameAuthority(a: string, b: string, defaultPort: number): boolean {
  return hostOfAuthority(a) === hostOfAuthority(b) && authorityPort(a, defaultPort) === authorityPort(b, defaultPort);
}
