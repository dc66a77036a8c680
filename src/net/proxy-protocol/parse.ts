/**
 * PROXY protocol parser (proxy-protocol.txt v1 §2.1 and v2 §2.2), incremental: call it with all
 * bytes received so far; "need_more" until a header is complete. Strict: anything that is not a
 * well-formed header is "invalid", and the caller closes the connection (§2: a receiver must not
 * guess, and must not accept a header from an untrusted peer — see reader.ts).
 */
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "../ip.ts";
import { PROXY_V1_MAX, PROXY_V2_DEFAULT_MAX, PROXY_V2_SIGNATURE, type ProxyAddress, type ProxyHeader } from "./header.ts";

/** Outcome of one parse: `length` is the header's size, the bytes after it belong to the stream. */
export type ProxyParseResult =
  | { status: "need_more" }
  | { status: "ok"; header: ProxyHeader; length: number }
  | { status: "invalid"; reason: string };

const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "
const NEED_MORE: ProxyParseResult = { status: "need_more" };
const EMPTY = new Uint8Array(0);

function invalid(reason: string): ProxyParseResult {
  return { status: "invalid", reason };
}

function startsWith(buf: Uint8Array, sig: ArrayLike<number>): boolean {
  const n = Math.min(buf.length, sig.length);
  for (let i = 0; i < n; i++) if (buf[i] !== sig[i]) return false;
  return true;
}

const PORT = /^(0|[1-9]\d{0,4})$/;

function v1Address(family: string, ip: string, port: string): ProxyAddress | undefined {
  const bytes = family === "TCP4" ? parseIpv4(ip) : ip.includes(":") ? parseIpv6(ip) : undefined;
  if (!bytes || !PORT.test(port) || Number(port) > 65535) return undefined;
  return { ip: family === "TCP4" ? formatIpv4(bytes) : formatIpv6(bytes), port: Number(port) };
}

function parseV1(buf: Uint8Array): ProxyParseResult {
  const end = Math.min(buf.length, PROXY_V1_MAX);
  let lf = -1;
  for (let i = 0; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x0a) {
      lf = i;
      break;
    }
    if ((c < 0x20 || c > 0x7e) && c !== 0x0d) return invalid("v1 header has a non-printable byte");
  }
  if (lf < 0) return buf.length >= PROXY_V1_MAX ? invalid("v1 header longer than 107 bytes") : NEED_MORE;
  if (lf === 0 || buf[lf - 1] !== 0x0d) return invalid("v1 header does not end in CRLF");
  const line = new TextDecoder().decode(buf.subarray(0, lf - 1));
  if (line.indexOf("\r") >= 0) return invalid("v1 header has a bare CR");
  const f = line.split(" ");
  // UNKNOWN: the receiver ignores the rest of the line and keeps the real peer address.
  if (f[1] === "UNKNOWN") return { status: "ok", length: lf + 1, header: { version: 1, command: "local", transport: "unspec" } };
  if (f.length !== 6 || (f[1] !== "TCP4" && f[1] !== "TCP6")) return invalid("v1 header is not PROXY TCP4|TCP6 src dst sport dport");
  const source = v1Address(f[1], f[2]!, f[4]!);
  const destination = v1Address(f[1], f[3]!, f[5]!);
  if (!source || !destination) return invalid("v1 header has a bad address or port");
  return { status: "ok", length: lf + 1, header: { version: 1, command: "proxy", transport: "tcp", source, destination } };
}

function tlvsWellFormed(t: Uint8Array): boolean {
  let p = 0;
  while (p < t.length) {
    if (t.length - p < 3) return false;
    p += 3 + ((t[p + 1]! << 8) | t[p + 2]!);
  }
  return p === t.length;
}

function parseV2(buf: Uint8Array, max: number): ProxyParseResult {
  if (buf.length < 16) return NEED_MORE;
  const verCmd = buf[12]!;
  const fam = buf[13]! >> 4;
  const proto = buf[13]! & 0x0f;
  const len = (buf[14]! << 8) | buf[15]!;
  if (verCmd >> 4 !== 2 || (verCmd & 0x0f) > 1) return invalid("v2 header has a bad version or command");
  if (fam > 3 || proto > 2) return invalid("v2 header has a bad address family or transport");
  if (16 + len > max) return invalid(`v2 header longer than ${max} bytes`);
  if (buf.length < 16 + len) return NEED_MORE;
  const body = buf.subarray(16, 16 + len);
  const addrLen = [0, 12, 36, 216][fam]!;
  if (len < addrLen) return invalid("v2 address block shorter than its family");
  const tlvs = len > addrLen ? body.slice(addrLen) : EMPTY;
  if (!tlvsWellFormed(tlvs)) return invalid("v2 TLVs are malformed");
  const transport = proto === 1 ? "tcp" : proto === 2 ? "udp" : "unspec";
  const header: ProxyHeader = { version: 2, command: verCmd & 1 ? "proxy" : "local", transport, tlvs };
  // LOCAL, AF_UNSPEC and AF_UNIX carry no address we can use: the peer's own address stays.
  if (header.command === "proxy" && (fam === 1 || fam === 2)) {
    const a = fam === 1 ? 4 : 16;
    const fmt = fam === 1 ? formatIpv4 : formatIpv6;
    header.source = { ip: fmt(body, 0), port: (body[2 * a]! << 8) | body[2 * a + 1]! };
    header.destination = { ip: fmt(body, a), port: (body[2 * a + 2]! << 8) | body[2 * a + 3]! };
  }
  return { status: "ok", length: 16 + len, header };
}

/**
 * Parses a v1 or v2 header at the start of `buf`. `maxV2Bytes` caps a v2 header (TLVs included);
 * v1 is capped by the spec at 107 bytes. Never throws.
 */
export function parseProxyHeader(buf: Uint8Array, maxV2Bytes = PROXY_V2_DEFAULT_MAX): ProxyParseResult {
  if (buf.length === 0) return NEED_MORE;
  if (startsWith(buf, PROXY_V2_SIGNATURE)) return buf.length < 12 ? NEED_MORE : parseV2(buf, maxV2Bytes);
  if (startsWith(buf, V1_PREFIX)) return buf.length < 6 ? NEED_MORE : parseV1(buf);
  return invalid("connection does not start with a PROXY header");
}
