/**
 * A small stub resolver client: one question to the given recursive resolvers, in order, over UDP
 * (TCP when the answer comes back truncated, RFC 7766), each try bounded by a timeout. Why our own
 * rather than node:dns: discovery must ask specific resolvers (with ports), and needs every
 * record's TTL, SRV's included (node:dns `resolveSrv` returns none), and the additional section
 * an SRV answer carries its targets' addresses in.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createConnection } from "node:net";
import { ipFamily } from "../net/index.ts";
import { DnsError, rcodeText } from "./dns-error.ts";
import { encodeQuery, parseMessage, type DnsMessage } from "./dns-wire.ts";

/** A recursive resolver: IP and port. */
export interface ResolverAddress {
  readonly host: string;
  readonly port: number;
}

export interface QueryOptions {
  /** Per try, in ms (default 1000). */
  timeoutMs?: number;
  /** Rounds over the resolver list (default 2: one lost datagram is not a failure). */
  rounds?: number;
}

/**
 * Asks `resolvers` for `name`/`qtype` until one gives an answer that settles it (NOERROR or
 * NXDOMAIN); SERVFAIL, REFUSED, timeouts and socket errors move on to the next. Throws the last
 * DnsError when none did.
 */
export async function dnsQuery(name: string, qtype: number, resolvers: readonly ResolverAddress[], opts: QueryOptions = {}): Promise<DnsMessage> {
  if (resolvers.length === 0) throw new DnsError("network", "no resolver to ask");
  const timeoutMs = opts.timeoutMs ?? 1000;
  let last: DnsError = new DnsError("timeout", "no answer");
  for (let round = 0; round < (opts.rounds ?? 2); round++) {
    for (const r of resolvers) {
      try {
        const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
        const query = encodeQuery(id, name, qtype);
        let msg = await udpExchange(query, id, r, timeoutMs);
        if (msg.truncated) msg = await tcpExchange(query, id, r, timeoutMs);
        if (msg.rcode === 0 || msg.rcode === 3) return msg;
        last = new DnsError("server_error", `${at(r)} answered ${rcodeText(msg.rcode)}`);
      } catch (e) {
        if (!(e instanceof DnsError) || e.reason === "bad_name") throw e;
        last = e;
      }
    }
  }
  throw last;
}

function at(r: ResolverAddress): string {
  return r.host.includes(":") ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`;
}

/** One UDP try: the first datagram from the resolver's address and port carrying our id is the answer. */
function udpExchange(query: Buffer, id: number, r: ResolverAddress, timeoutMs: number): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const family = ipFamily(r.host) === 6 ? "udp6" : "udp4";
    const sock: UdpSocket = createSocket(family);
    const timer = setTimeout(() => done(new DnsError("timeout", `${at(r)} did not answer within ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    const done = (result: DnsMessage | DnsError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.close();
      if (result instanceof DnsError) reject(result);
      else resolve(result);
    };
    sock.on("error", (e) => done(new DnsError("network", `${at(r)}: ${e.message}`)));
    sock.on("message", (data, from) => {
      // Only the resolver asked, answering our id, is heard (a stray or spoofed datagram is not).
      if (from.port !== r.port || (family === "udp4" && from.address !== r.host) || data.length < 2 || data.readUInt16BE(0) !== id) return;
      try {
        done(parseMessage(data));
      } catch (e) {
        done(e instanceof DnsError ? e : new DnsError("malformed", String(e)));
      }
    });
    sock.send(query, r.port, r.host, (e) => {
      if (e) done(new DnsError("network", `${at(r)}: ${e.message}`));
    });
  });
}

/** One TCP try: the query and its answer, each with a two-byte length in front (RFC 1035 §4.2.2). */
function tcpExchange(query: Buffer, id: number, r: ResolverAddress, timeoutMs: number): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: r.host, port: r.port });
    let got = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => done(new DnsError("timeout", `${at(r)} (tcp) did not answer within ${timeoutMs} ms`)), timeoutMs);
    const done = (result: DnsMessage | DnsError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (result instanceof DnsError) reject(result);
      else resolve(result);
    };
    sock.on("error", (e) => done(new DnsError("network", `${at(r)} (tcp): ${e.message}`)));
    sock.on("close", () => done(new DnsError("network", `${at(r)} (tcp) closed before answering`)));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      const msg = got.subarray(2, 2 + got.readUInt16BE(0));
      try {
        const parsed = parseMessage(msg);
        done(parsed.id === id ? parsed : new DnsError("malformed", `${at(r)} (tcp) answered another query`));
      } catch (e) {
        done(e instanceof DnsError ? e : new DnsError("malformed", String(e)));
      }
    });
  });
}
