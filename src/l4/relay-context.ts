/** What every connection of one L4 listener shares, and the guard every hook call goes through. */
import type { SocketHandler } from "bun";
import type { RejectReason, ResolvedRelayOptions, TcpRelayStats, UpstreamAddress } from "./relay-options.ts";
import type { TcpConn } from "./tcp-conn.ts";

/** Tag carried by each upstream connect attempt, so late events of an abandoned attempt are ignored. */
export interface UpstreamTag<B extends UpstreamAddress> {
  conn: TcpConn<B>;
  attempt: number;
}

/** Per-listener state shared by its connections. */
export interface RelayContext<B extends UpstreamAddress> {
  opts: ResolvedRelayOptions<B>;
  stats: TcpRelayStats;
  /** Coarse clock, advanced by the listener's sweeper; cheaper than Date.now() per chunk. */
  clock: { now: number };
  conns: Set<TcpConn<B>>;
  /** The connections with a deadline near (preamble, connecting, closing): swept on every tick. */
  timed: Set<TcpConn<B>>;
  upstreamHandlers: SocketHandler<UpstreamTag<B>>;
}

/** Runs a caller's hook; a hook that throws must not break the data plane, so it is ignored. */
export function callHook(fn: () => void): void {
  try {
    fn();
  } catch {
    // deliberately ignored: see above
  }
}

/** Runs an admission hook; one that throws refuses the client (fail closed: it guards access). */
export function callAdmit<A extends unknown[]>(admit: ((...args: A) => RejectReason | undefined) | undefined, ...args: A): RejectReason | undefined {
  if (admit === undefined) return undefined;
  try {
    return admit(...args);
  } catch {
    return "access_denied";
  }
}
