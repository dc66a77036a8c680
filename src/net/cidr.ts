/**
 * CIDR lists ("trusted sources": `trusted_proxies`, `proxy_protocol.accept_from`), compiled once
 * into the snapshot and queried per connection or request. IPv4 and IPv6 blocks are kept in the
 * 16-byte IPv4-mapped form, so 10.0.0.0/8 matches both "10.1.2.3" and "::ffff:10.1.2.3" (what a
 * dual-stack socket reports), and a v4 block never matches a native IPv6 peer.
 */
import { LbError } from "../errors.ts";
import { parseIp, parseIpv4 } from "./ip.ts";

/** One block: the network in the 16-byte form and its prefix length in that form (v4 /8 → 104). */
export interface CidrBlock {
  readonly net: Uint8Array;
  readonly bits: number;
  /** As configured. */
  readonly text: string;
}

function matches(ip: Uint8Array, b: CidrBlock): boolean {
  const whole = b.bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== b.net[i]) return false;
  const rest = b.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === (b.net[whole]! & mask);
}

/** Parses "10.0.0.0/8", "::1/128" or a bare IP (a /32 or /128); an error string says what is wrong. */
export function parseCidr(text: string): CidrBlock | string {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const net = parseIp(addr);
  if (!net) return `"${addr}" is not an IP address`;
  const isV4 = parseIpv4(addr) !== undefined;
  const max = isV4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const n = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(n) || Number(n) > max) return `"/${n}" is not a prefix length for IPv${isV4 ? 4 : 6}`;
    bits = Number(n);
  }
  return { net, bits: isV4 ? 96 + bits : bits, text };
}

/** An immutable list of CIDR blocks: built once per config snapshot, queried per connection. */
export class CidrList {
  private readonly blocks: readonly CidrBlock[];
  // Requests of one keep-alive connection ask about the same address string: answer it from here.
  private lastIp = "";
  private lastHit = false;

  /** Throws LbError CONFIG_INVALID naming the first bad entry. */
  constructor(cidrs: readonly string[]) {
    this.blocks = cidrs.map((c) => {
      const b = parseCidr(c);
      if (typeof b === "string") throw new LbError("CONFIG_INVALID", `bad CIDR "${c}": ${b}`);
      return b;
    });
  }

  /** Number of blocks (0 means nothing is trusted). */
  get size(): number {
    return this.blocks.length;
  }

  /** The blocks as configured. */
  get texts(): string[] {
    return this.blocks.map((b) => b.text);
  }

  /** True when `ip` (IPv4 or IPv6 text, IPv4-mapped allowed) falls in any block; false for junk. */
  contains(ip: string): boolean {
    if (this.blocks.length === 0) return false;
    if (ip === this.lastIp) return this.lastHit;
    const bytes = parseIp(ip);
    const hit = bytes !== undefined && this.containsBytes(bytes);
    this.lastIp = ip;
    this.lastHit = hit;
    return hit;
  }

  /** True when the 16-byte address `ip16` (parseIp's form) falls in any block. */
  containsBytes(ip16: Uint8Array): boolean {
    for (const b of this.blocks) if (matches(ip16, b)) return true;
    return false;
  }

  /** What JSON shows of it (status, diffs): the blocks as configured. */
  toJSON(): string[] {
    return this.texts;
  }
}
