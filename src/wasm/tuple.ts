/**
 * The shared 5-tuple layout (hashing, conntrack and the L4 data plane all use it): 40 bytes, ten
 * little-endian u32 words. Bytes 0..15 source address and 16..31 destination address in IPv6 form
 * (IPv4 a.b.c.d as the IPv4-mapped ::ffff:a.b.c.d, so one layout serves both families), 32..33
 * source port and 34..35 destination port (u16 LE), 36 protocol, 37..39 zero.
 */
import { LbError } from "../errors.ts";

/** Bytes per encoded tuple. */
export const TUPLE_BYTES = 40;
/** IP protocol numbers the data plane uses. */
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

function bad(what: string, value: unknown): never {
  throw new LbError("INVALID_ARGUMENT", `invalid ${what}: ${JSON.stringify(value)}`);
}

const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Writes dotted-quad IPv4 `text` as 4 bytes at `out[at..]`; false when it is not one. */
function writeIpv4(out: Uint8Array, at: number, text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!DEC_OCTET.test(p)) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[at + i] = v;
  }
  return true;
}

/** Parses colon-separated hex groups (one side of "::"); a trailing dotted quad counts as two. */
function parseGroups(text: string, groups: number[], allowV4Tail: boolean): boolean {
  if (text === "") return true;
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (allowV4Tail && i === parts.length - 1 && p.includes(".")) {
      const v4 = new Uint8Array(4);
      if (!writeIpv4(v4, 0, p)) return false;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      return true;
    }
    if (!HEX_GROUP.test(p)) return false;
    groups.push(parseInt(p, 16));
  }
  return true;
}

/** Writes IPv6 `text` (with "::" and an optional dotted-quad tail) as 16 bytes; false when invalid. */
function writeIpv6(out: Uint8Array, at: number, text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const head: number[] = [];
  const tail: number[] = [];
  if (halves.length === 1) {
    if (!parseGroups(text, head, true) || head.length !== 8) return false;
  } else {
    if (!parseGroups(halves[0]!, head, false) || !parseGroups(halves[1]!, tail, true)) return false;
    // "::" stands for at least one zero group.
    if (head.length + tail.length > 7) return false;
  }
  const groups = new Array<number>(8).fill(0);
  head.forEach((g, i) => (groups[i] = g));
  tail.forEach((g, i) => (groups[8 - tail.length + i] = g));
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = groups[i]! >>> 8;
    out[at + 2 * i + 1] = groups[i]! & 0xff;
  }
  return true;
}

/**
 * Writes `ip` (IPv4 dotted quad or IPv6 text) in its 16-byte IPv6 form at `out[at..at+16]`; IPv4
 * becomes ::ffff:a.b.c.d. Throws LbError INVALID_ARGUMENT on anything else (zones, brackets, junk).
 */
export function encodeIp(out: Uint8Array, at: number, ip: string): void {
  if (ip.includes(":")) {
    if (!writeIpv6(out, at, ip)) bad("IP address", ip);
    return;
  }
  out.fill(0, at, at + 10);
  out[at + 10] = 0xff;
  out[at + 11] = 0xff;
  if (!writeIpv4(out, at + 12, ip)) bad("IP address", ip);
}

function checkU(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) bad(what, v);
}

/**
 * Encodes one 5-tuple into `out` at byte `offset` in the shared 40-byte layout. Throws LbError
 * INVALID_ARGUMENT for a bad address, a port outside 0..65535, a protocol outside 0..255, or an
 * `out` too short to hold the tuple.
 */
export function encodeTuple(
  out: Uint8Array,
  offset: number,
  srcIp: string,
  srcPort: number,
  dstIp: string,
  dstPort: number,
  proto: number,
): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + TUPLE_BYTES > out.length) bad("tuple offset", offset);
  checkU("source port", srcPort, 0xffff);
  checkU("destination port", dstPort, 0xffff);
  checkU("protocol", proto, 0xff);
  encodeIp(out, offset, srcIp);
  encodeIp(out, offset + 16, dstIp);
  out[offset + 32] = srcPort & 0xff;
  out[offset + 33] = srcPort >>> 8;
  out[offset + 34] = dstPort & 0xff;
  out[offset + 35] = dstPort >>> 8;
  out[offset + 36] = proto;
  out[offset + 37] = 0;
  out[offset + 38] = 0;
  out[offset + 39] = 0;
}
