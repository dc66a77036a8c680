/**
 * Options, hooks and counters of an L4 UDP listener (see udp-relay.ts). A flow is one client
 * address:port; it keeps its backend and its own connected upstream socket until it expires.
 */
import type { ConnInfo } from "./conn-info.ts";
import type { RejectReason, UpstreamAddress } from "./relay-options.ts";

/** Why a flow ended. */
export type UdpFlowEnd = "idle" | "evicted" | "backend_gone" | "error" | "stopped";

export interface UdpRelayHooks<B extends UpstreamAddress> {
  /** A new flow was bound to `backend`; exactly one onFlowClose follows. Wire conntrack here. */
  onFlowOpen?(flow: ConnInfo, backend: B): void;
  onFlowClose?(flow: ConnInfo, backend: B, why: UdpFlowEnd): void;
  /**
   * `choose` ran for a datagram that got no flow: it went statelessly to `backend` (table full of
   * live flows), or was dropped (`backend` undefined: nothing to choose). Called once per such
   * `choose`, so whatever `choose` reserved can be released here. `flow.bytesIn` is the datagram's size.
   */
  onNoFlow?(flow: ConnInfo, backend: B | undefined): void;
}

export interface UdpRelayOptions<B extends UpstreamAddress> {
  hostname: string;
  /** 0 picks a free port (read it back from `relay.port`). */
  port: number;
  /** Picks the backend of a new flow (attempt is always 0: UDP has no connect failure to retry). */
  choose(flow: ConnInfo, attempt: number): B | undefined;
  /**
   * Asked for each datagram of a client that has no flow, before anything else (no idle flow is
   * evicted for it): a reason drops the datagram, creates no flow and reaches no backend
   * (counted in `refused`). `opensFlow`: the datagram would open a flow (whose onFlowClose, or an
   * onNoFlow when no backend is found, follows); false: it would go statelessly (table full).
   */
  admit?(flow: ConnInfo, opensFlow: boolean): RejectReason | undefined;
  /** A flow with no datagram either way for this long is closed (default 30 s). */
  idleTimeoutMs?: number;
  /** Most live flows (default 65,536); what a new flow does beyond it: see `minIdleMs`. */
  maxFlows?: number;
  /**
   * With the table full, a new flow evicts the least recently active one only if that flow has
   * seen no datagram for this long (default 1,000 ms; 0 = always evict). Otherwise the table is
   * full of live flows (a flood): the new client's datagram is forwarded statelessly instead.
   */
  minIdleMs?: number;
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
  /** Idle flows closed to make room for a new one. */
  evicted: number;
  datagramsIn: number;
  datagramsOut: number;
  dropped: number;
  /** Client datagrams forwarded without a flow (table full of live flows). */
  stateless: number;
  /** Backend datagrams that arrived on a shared stateless socket: no client to give them to. */
  statelessRepliesDropped: number;
  /** Client datagrams `admit` refused (access list, flows per client): dropped, no flow. */
  refused: number;
}

export const UDP_DEFAULTS = {
  idleTimeoutMs: 30_000,
  maxFlows: 65_536,
  minIdleMs: 1_000,
  maxQueuedDatagrams: 64,
} as const;

/** `o` with every unset (or undefined) limit at its default. */
export function withUdpDefaults<B extends UpstreamAddress>(o: UdpRelayOptions<B>): UdpRelayOptions<B> & { -readonly [K in keyof typeof UDP_DEFAULTS]: number } {
  return {
    ...o,
    idleTimeoutMs: o.idleTimeoutMs ?? UDP_DEFAULTS.idleTimeoutMs,
    maxFlows: o.maxFlows ?? UDP_DEFAULTS.maxFlows,
    minIdleMs: o.minIdleMs ?? UDP_DEFAULTS.minIdleMs,
    maxQueuedDatagrams: o.maxQueuedDatagrams ?? UDP_DEFAULTS.maxQueuedDatagrams,
  };
}
