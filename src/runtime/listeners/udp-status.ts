/** A udp listener's relay counters as /v1/status and /metrics show them (snake_case, like the rest of the status). */
import type { UdpRelayStats } from "../../l4/index.ts";

/** A udp listener's counters as /v1/status shows them. */
export interface UdpStatus {
  flows: number;
  flows_created: number;
  flows_expired: number;
  flows_evicted: number;
  datagrams_in: number;
  datagrams_out: number;
  datagrams_dropped: number;
  stateless_datagrams: number;
  stateless_replies_dropped: number;
}

/** Copies the live counters (called at status / scrape time, never per datagram). */
export function udpStatus(s: Readonly<UdpRelayStats>): UdpStatus {
  return {
    flows: s.flows,
    flows_created: s.created,
    flows_expired: s.expired,
    flows_evicted: s.evicted,
    datagrams_in: s.datagramsIn,
    datagrams_out: s.datagramsOut,
    datagrams_dropped: s.dropped,
    stateless_datagrams: s.stateless,
    stateless_replies_dropped: s.statelessRepliesDropped,
  };
}
