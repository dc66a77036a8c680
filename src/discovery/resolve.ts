/**
 * One lookup of a pool's `discovery`: the addresses (with port and weight) DNS gives now, and how
 * long that answer may be trusted (the smallest TTL of the records it came from). A and AAAA
 * follow CNAME chains. SRV (RFC 2782) uses the targets of the lowest priority only, as a client
 * is meant to (the others are fallbacks, a place for health checks and panic mode), takes each
 * target's addresses from the additional section when the resolver put them there, and asks for
 * them otherwise (A, then AAAA).
 */
import { getServers } from "node:dns";
import { parseResolver, type SnapshotDiscovery } from "../config/index.ts";
import { dnsQuery, type QueryOptions, type ResolverAddress } from "./dns-client.ts";
import { DnsError } from "./dns-error.ts";
import { TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_SRV, type DnsMessage, type DnsRecord } from "./dns-wire.ts";

/** An address DNS gave for the pool. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
}

/** What one lookup found: targets, sorted by address, and the answer's TTL in ms. */
export interface Resolution {
  readonly targets: readonly Target[];
  readonly ttlMs: number;
}

type AddressRecord = Extract<DnsRecord, { address: string }>;

/** The resolvers in /etc/resolv.conf (what node:dns reads), for a discovery that names none. */
export function systemResolvers(): ResolverAddress[] {
  return getServers().flatMap((s) => {
    const r = parseResolver(s);
    return typeof r === "string" ? [] : [r];
  });
}

/** Looks the pool's name up; throws DnsError when DNS gave nothing usable (nxdomain, empty, timeout...). */
export async function resolveDiscovery(d: SnapshotDiscovery, resolvers: readonly ResolverAddress[], opts?: QueryOptions): Promise<Resolution> {
  if (d.type === "SRV") return resolveSrv(d.name, resolvers, opts);
  const qtype = d.type === "A" ? TYPE_A : TYPE_AAAA;
  const msg = settled(await dnsQuery(d.name, qtype, resolvers, opts), d.name);
  const { records, ttl } = addressesOf(msg.answers, d.name, qtype);
  if (records.length === 0) throw new DnsError("empty", `${d.name} has no ${d.type} record`);
  return { targets: sorted(records.map((r) => ({ host: r.address, port: d.port, weight: d.weight }))), ttlMs: ttl * 1000 };
}

async function resolveSrv(name: string, resolvers: readonly ResolverAddress[], opts?: QueryOptions): Promise<Resolution> {
  const msg = settled(await dnsQuery(name, TYPE_SRV, resolvers, opts), name);
  const chain = cnameChain(msg.answers, name);
  const srv = msg.answers.filter((r): r is Extract<DnsRecord, { type: typeof TYPE_SRV }> => r.type === TYPE_SRV && chain.names.has(r.name));
  // A single SRV record with target "." says the service is decidedly not available here.
  const usable = srv.filter((r) => r.target !== "" && r.port > 0);
  if (usable.length === 0) throw new DnsError("empty", `${name} has no SRV record${srv.length > 0 ? " with a target" : ""}`);
  const best = Math.min(...usable.map((r) => r.priority));
  const chosen = usable.filter((r) => r.priority === best);
  let ttl = Math.min(chain.ttl, ...chosen.map((r) => r.ttl));
  const targets: Target[] = [];
  const seen = new Set<string>();
  const found = await Promise.all(chosen.map((r) => targetAddresses(r.target, msg, resolvers, opts)));
  chosen.forEach((r, i) => {
    const { records, ttl: t } = found[i]!;
    if (records.length > 0) ttl = Math.min(ttl, t);
    for (const a of records) {
      const key = `${a.address}|${r.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // SRV weights are relative (0..65535; 0 = "very rarely"); ours are 0..1000 where 0 = never.
      targets.push({ host: a.address, port: r.port, weight: Math.min(1000, Math.max(1, r.weight)) });
    }
  });
  if (targets.length === 0) throw new DnsError("empty", `no address for the targets of ${name} (${chosen.map((r) => r.target).join(", ")})`);
  return { targets: sorted(targets), ttlMs: ttl * 1000 };
}

/** A target's addresses: from the additional section when present, else asked for (A, then AAAA). */
async function targetAddresses(
  target: string, msg: DnsMessage, resolvers: readonly ResolverAddress[], opts?: QueryOptions,
): Promise<{ records: AddressRecord[]; ttl: number }> {
  for (const qtype of [TYPE_A, TYPE_AAAA]) {
    const extra = addressesOf(msg.additionals, target, qtype);
    if (extra.records.length > 0) return extra;
  }
  for (const qtype of [TYPE_A, TYPE_AAAA]) {
    try {
      const answer = await dnsQuery(target, qtype, resolvers, opts);
      const got = addressesOf(answer.answers, target, qtype);
      if (got.records.length > 0) return got;
    } catch (e) {
      // An SRV target that cannot be looked up is left out; the others still serve.
      if (!(e instanceof DnsError)) throw e;
    }
  }
  return { records: [], ttl: Infinity };
}

/** NOERROR passes; NXDOMAIN is its own failure. */
function settled(msg: DnsMessage, name: string): DnsMessage {
  if (msg.rcode === 3) throw new DnsError("nxdomain", `${name} does not exist (NXDOMAIN)`);
  return msg;
}

/** Address records of `qtype` for `name` or a name its CNAME chain leads to, and the smallest TTL among them and the chain. */
function addressesOf(records: readonly DnsRecord[], name: string, qtype: number): { records: AddressRecord[]; ttl: number } {
  const chain = cnameChain(records, name);
  const found = records.filter((r): r is AddressRecord => r.type === qtype && chain.names.has(r.name));
  return { records: found, ttl: found.reduce((t, r) => Math.min(t, r.ttl), chain.ttl) };
}

/** `name` and every name its CNAME records lead to (at most 8 hops), with the smallest CNAME TTL. */
function cnameChain(records: readonly DnsRecord[], name: string): { names: Set<string>; ttl: number } {
  const names = new Set([name.toLowerCase()]);
  let ttl = Infinity;
  let current = name.toLowerCase();
  for (let hop = 0; hop < 8; hop++) {
    const c = records.find((r): r is Extract<DnsRecord, { type: typeof TYPE_CNAME }> => r.type === TYPE_CNAME && r.name === current);
    if (!c || names.has(c.target)) break;
    names.add(c.target);
    ttl = Math.min(ttl, c.ttl);
    current = c.target;
  }
  return { names, ttl };
}

function sorted(targets: Target[]): Target[] {
  return targets.sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
}
