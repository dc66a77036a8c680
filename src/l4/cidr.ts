/**
 * CIDR lists for "trusted sources" (PROXY protocol accept_from). IPv4 and IPv6 blocks are kept in
 * the 16-byte IPv4-mapped form, so 10.0.0.0/8 matches both "10.1.2.3" and "::ffff:10.1.2.3" (what
 * a dual-stack socket reports), and a v4 block never matches a native IPv6 peer.
 */
import { LbError } from "../errors.ts";
import { parseIp, parseIpv4 } from "./ip.ts";

interface Block {
  net: Uint8Array;
  bits: number;
}

function matches(ip: Uint8Array, b: Block): boolean {
  const whole = b.bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== b.net[i]) return false;
  const rest = b.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === (b.net[whole]! & mask);
}

/** Parses "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128); throws CONFIG_INVALID. */
export function parseCidr(text: string): Block {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const net = parseIp(addr);
  if (!net) throw new LbError("CONFIG_INVALID", `not an IP address in CIDR "${text}"`);
  const isV4 = parseIpv4(addr) !== undefined;
  const max = isV4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const n = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(n) || Number(n) > max) throw new LbError("CONFIG_INVALID", `bad prefix length in CIDR "${text}"`);
    bits = Number(n);
  }
  return { net, bits: isV4 ? 96 + bits : bits };
}

/** An immutable list of CIDR blocks; build it once per config snapshot, query per connection. */
export class CidrList {
  private readonly blocks: readonly Block[];

  /** Throws LbError CONFIG_INVALID naming the first bad entry. */
  constructor(cidrs: readonly string[]) {
    this.blocks = cidrs.map(parseCidr);
  }

  /** Number of blocks (0 means nothing is trusted). */
  get size(): number {
    return this.blocks.length;
  }

  /** True when `ip` (IPv4 or IPv6 text, IPv4-mapped allowed) falls in any block; false for junk. */
  contains(ip: string): boolean {
    const bytes = parseIp(ip);
    if (!bytes) return false;
    for (const b of this.blocks) if (matches(bytes, b)) return true;
    return false;
  }
}
