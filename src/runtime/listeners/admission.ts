/**
 * Who an L4 listener lets in, asked once per connection (per new udp flow, and per datagram that
 * would go statelessly) when the client's address is final: the access list first (deny wins;
 * with an allow list, the rest is denied), then max_connections_per_client. Counted per listener.
 */
import type { SnapshotListener } from "../../config/index.ts";
import type { RejectReason } from "../../l4/index.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";
import type { ClientHold, ClientLimits } from "./client-limits.ts";

/**
 * A reason to refuse client `ip` on listener `l`, a hold on its count (give it back when the
 * connection ends), or undefined to let it through uncounted (no limit, or `counted` false: a
 * udp datagram that opens no flow). `clients` bounds the clients the listener can hold at once.
 */
export function admitClient(
  l: SnapshotListener, ip: string, counted: boolean, clients: number, limits: ClientLimits, counters: ListenerCounters,
): RejectReason | ClientHold | undefined {
  if (l.access !== undefined && !l.access.allows(ip)) {
    counters.accessDenied++;
    return "access_denied";
  }
  const limit = l.maxConnectionsPerClient;
  if (limit === undefined || !counted) return undefined;
  const v = limits.acquire(l.name, clients, ip, limit);
  if (v === "over") {
    counters.clientLimitRefused++;
    return "client_limit";
  }
  if (v === "untracked") {
    counters.clientLimitUntracked++;
    return undefined;
  }
  return v;
}
