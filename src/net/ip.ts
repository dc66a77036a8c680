/**
 * IP address text ⇄ 16-byte form, for config validation, CIDR matching and the PROXY protocol
 * alike. IPv4 a.b.c.d becomes the IPv4-mapped ::ffff:a.b.c.d, the same form the shared 5-tuple
 * uses, so a dual-stack socket's "::ffff:10.0.0.1" and a plain "10.0.0.1" are one address.
 * Strict: no leading zeros in a dotted quad, no zone ("%eth0") in IPv6.
 */

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

/** Parses dotted-quad IPv4 (no leading zeros) into 4 bytes, or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Leading zeros are refused: some stacks read them as octal, so they are ambiguous.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseGroups(text: string, out: number[]): boolean {
  if (text === "") return true;
  for (const g of text.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    out.push(parseInt(g, 16));
  }
  return true;
}

/** Parses IPv6 text (with "::" and an embedded dotted quad tail) into 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4 || lastColon < 0) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "a:b:...:1.2.3.4" drops the separator before the quad.
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const left: number[] = [];
  const right: number[] = [];
  if (!parseGroups(halves[0]!, left)) return undefined;
  if (halves.length === 2 && !parseGroups(halves[1]!, right)) return undefined;
  right.push(...tail);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** 4 for dotted-quad IPv4 text, 6 for IPv6 text, 0 for anything else (like node:net isIP). */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (parseIpv4(text)) return 4;
  return text.includes(":") && parseIpv6(text) ? 6 : 0;
}

/** Parses IPv4 or IPv6 text into the 16-byte form (IPv4 mapped), or undefined when invalid. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4) return mapV4(v4);
  return parseIpv6(text);
}

/** 4 IPv4 bytes → the 16-byte IPv4-mapped form. */
export function mapV4(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(V4_MAPPED_PREFIX);
  out.set(v4, 12);
  return out;
}

/** True when the 16 bytes at `off` are IPv4-mapped (::ffff:a.b.c.d). */
export function isV4Mapped(ip16: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 12; i++) if (ip16[off + i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

/** Formats 4 bytes as a dotted quad. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/**
 * Formats 16 bytes as RFC 5952 IPv6 text: lower-case, the longest zero run of ≥ 2 groups becomes
 * "::", and an IPv4-mapped address keeps its dotted tail (§5): "::ffff:192.0.2.1".
 */
export function formatIpv6(b: Uint8Array, off = 0): string {
  if (isV4Mapped(b, off)) return `::ffff:${formatIpv4(b, off + 12)}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0, runAt = 0, runLen = 0; i < 8; i++) {
    if (b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0) {
      if (runLen++ === 0) runAt = i;
      if (runLen > bestLen) [bestAt, bestLen] = [runAt, runLen];
    } else {
      runLen = 0;
    }
  }
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && i !== bestAt + bestLen) s += ":";
    s += ((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16);
  }
  return s;
}

/** Formats the 16-byte form: IPv4-mapped addresses come back as plain dotted quads. */
export function formatIp(ip16: Uint8Array): string {
  return isV4Mapped(ip16) ? formatIpv4(ip16, 12) : formatIpv6(ip16);
}
