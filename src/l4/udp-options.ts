/**
 * Options, hooks and counters of an L4 UDP listener (see udp-relay.ts). A flow is one client
 * address:port; it keeps its backend and its own connected upstream socket until it expires.
 */
import type { ConnInfo } from "./conn-info.ts";
import type { UpstreamAddress } from "./relay-options.ts";

/** Why a flow ended. */
export type UdpFlowEnd = "idle" | "evicted" | "backend_gone" | "error" | "stopped";

export interface UdpRelayHooks<B extends UpstreamAddress> {
  /** A new flow was bound to `backend`; exactly one onFlowClose follows. Wire conntrack here. */
  onFlowOpen?(flow: ConnInfo, backend: B): void;
  onFlowClose?(flow: ConnInfo, backend: B, why: UdpFlowEnd): void;
}

export interface UdpRelayOptions<B extends UpstreamAddress> {
  hostname: string;
  /** 0 picks a free port (read it back from `relay.port`). */
  port: number;
  /** Picks the backend of a new flow (attempt is always 0: UDP has no connect failure to retry). */
  choose(flow: ConnInfo, attempt: number): B | undefined;
  /** A flow with no datagram either way for this long is closed (default 30 s). */
  idleTimeoutMs?: number;
  /** Most live flows; a new flow beyond it evicts the least recently active one (default 65,536). */
  maxFlows?: number;
  /** Datagrams held per flow while its upstream socket connects (default 64; more are dropped). */
  maxQueuedDatagrams?: number;
  reusePort?: boolean;
  hooks?: UdpRelayHooks<B>;
}

/** Live counters (monotonic except `flows`). */
export interface UdpRelayStats {
  flows: number;
  created: number;
  expired: number;
  evicted: number;
  datagramsIn: number;
  datagramsOut: number;
  dropped: number;
}

export const UDP_DEFAULTS = {
  idleTimeoutMs: 30_000,
  maxFlows: 65_536,
  maxQueuedDatagrams: 64,
} as const;
