/**
 * The DNS message format (RFC 1035 §4, SRV RFC 2782, AAAA RFC 3596, EDNS0 RFC 6891), as much of
 * it as discovery needs: one question out (with an OPT record offering a 1232-byte UDP answer,
 * the DNS flag day 2020 size), and the answer and additional sections back with each record's
 * TTL. Parsing is bounds-checked everywhere and follows compression pointers only backwards, so a
 * hostile answer is a DnsError, never a loop or an exception from a typed array.
 */
import { formatIpv4, formatIpv6 } from "../net/index.ts";
import { DnsError } from "./dns-error.ts";

export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
const TYPE_OPT = 41;
const CLASS_IN = 1;
/** What we offer to receive over UDP (EDNS0): big enough for dozens of SRV records, small enough not to fragment. */
export const EDNS_UDP_SIZE = 1232;

/** One resource record of a type discovery reads; owner names lower-case, without the trailing dot. */
export type DnsRecord =
  | { readonly type: typeof TYPE_A | typeof TYPE_AAAA; readonly name: string; readonly ttl: number; readonly address: string }
  | { readonly type: typeof TYPE_CNAME; readonly name: string; readonly ttl: number; readonly target: string }
  | {
      readonly type: typeof TYPE_SRV; readonly name: string; readonly ttl: number;
      readonly priority: number; readonly weight: number; readonly port: number; readonly target: string;
    };

/** A parsed response: its id and flags, RCODE, and the records of the answer and additional sections. */
export interface DnsMessage {
  readonly id: number;
  readonly truncated: boolean;
  /** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED... */
  readonly rcode: number;
  readonly answers: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** Encodes a recursive query for `name` (type `qtype`, class IN) with an EDNS0 OPT record. */
export function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.replace(/\.$/, "").split(".");
  const qname = labels.reduce((n, l) => n + 1 + Buffer.byteLength(l, "latin1"), 1);
  const buf = Buffer.alloc(12 + qname + 4 + 11);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(0x0100, 2); // RD: ask the resolver to recurse
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(1, 10); // the OPT record
  let o = 12;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) throw new DnsError("bad_name", `"${name}" is not a DNS name`);
    buf[o++] = l.length;
    o += buf.write(l, o, "latin1");
  }
  buf[o++] = 0;
  buf.writeUInt16BE(qtype, o);
  buf.writeUInt16BE(CLASS_IN, o + 2);
  o += 4;
  buf[o] = 0; // OPT: root owner name
  buf.writeUInt16BE(TYPE_OPT, o + 1);
  buf.writeUInt16BE(EDNS_UDP_SIZE, o + 3); // OPT's class is the UDP payload size
  return buf; // TTL (extended RCODE, version, flags) and RDLENGTH stay 0
}

/** Parses a response; throws DnsError("malformed") for anything that does not hold together. */
export function parseMessage(buf: Uint8Array): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  if ((flags & 0x8000) === 0) throw new DnsError("malformed", "not a response (QR is 0)");
  const qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
  for (let i = 0; i < qd; i++) {
    r.name();
    r.skip(4);
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) record(r, answers);
  for (let i = 0; i < ns; i++) record(r, []);
  const additionals: DnsRecord[] = [];
  for (let i = 0; i < ar; i++) record(r, additionals);
  return { id, truncated: (flags & 0x0200) !== 0, rcode: flags & 0x000f, answers, additionals };
}

/** Reads one resource record; keeps it in `out` when it is of a type discovery reads (class IN). */
function record(r: Reader, out: DnsRecord[]): void {
  const name = r.name();
  const type = r.u16(), cls = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  const end = r.at + len;
  if (end > r.buf.length) throw new DnsError("malformed", "a record runs past the end of the message");
  if (cls === CLASS_IN) {
    if (type === TYPE_A && len === 4) out.push({ type, name, ttl, address: formatIpv4(r.buf, r.at) });
    else if (type === TYPE_AAAA && len === 16) out.push({ type, name, ttl, address: formatIpv6(r.buf, r.at) });
    else if (type === TYPE_CNAME) out.push({ type, name, ttl, target: r.name() });
    else if (type === TYPE_SRV && len >= 7) {
      const priority = r.u16(), weight = r.u16(), port = r.u16();
      out.push({ type, name, ttl, priority, weight, port, target: r.name() });
    }
  }
  r.at = end;
}

/** A cursor over a message; every read checks bounds. */
class Reader {
  at = 0;
  constructor(readonly buf: Uint8Array) {}

  need(n: number): void {
    if (this.at + n > this.buf.length) throw new DnsError("malformed", "the message ends early");
  }
  skip(n: number): void {
    this.need(n);
    this.at += n;
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.at]! << 8) | this.buf[this.at + 1]!;
    this.at += 2;
    return v;
  }
  u32(): number {
    const hi = this.u16();
    return hi * 65536 + this.u16();
  }

  /** A domain name, compression followed (pointers must point backwards, so it ends). */
  name(): string {
    const labels: string[] = [];
    let p = this.at, end = -1, total = 0;
    for (;;) {
      if (p >= this.buf.length) throw new DnsError("malformed", "a name runs past the end of the message");
      const len = this.buf[p]!;
      if ((len & 0xc0) === 0xc0) {
        if (p + 1 >= this.buf.length) throw new DnsError("malformed", "a name pointer is cut off");
        const target = ((len & 0x3f) << 8) | this.buf[p + 1]!;
        if (end < 0) end = p + 2;
        if (target >= p) throw new DnsError("malformed", "a name pointer does not point backwards");
        p = target;
        continue;
      }
      if (len & 0xc0) throw new DnsError("malformed", "unknown label type");
      if (len === 0) break;
      if (p + 1 + len > this.buf.length) throw new DnsError("malformed", "a label runs past the end of the message");
      total += len + 1;
      if (total > 255) throw new DnsError("malformed", "a name is longer than 255 bytes");
      labels.push(Buffer.from(this.buf.buffer, this.buf.byteOffset + p + 1, len).toString("latin1").toLowerCase());
      p += 1 + len;
    }
    this.at = end >= 0 ? end : p + 1;
    return labels.join(".");
  }
}
