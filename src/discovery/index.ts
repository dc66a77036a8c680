/** @module Backends found in DNS: a small DNS client, one watch per pool, and the snapshot overlay that serves what they found. */
export { DnsDiscovery, type DnsDiscoveryOptions } from "./dns-discovery.ts";
export { dnsQuery, type QueryOptions, type ResolverAddress } from "./dns-client.ts";
export { DnsError, type DnsFailure } from "./dns-error.ts";
export { encodeQuery, parseMessage, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_SRV, type DnsMessage, type DnsRecord } from "./dns-wire.ts";
export { MIN_REFRESH_MS, type WatchState } from "./pool-watch.ts";
export { resolveDiscovery, systemResolvers, type Resolution, type Target } from "./resolve.ts";
