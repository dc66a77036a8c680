/**
 * The per-request state the L7 hooks keep in ProxyCtx.user (one object per request). It is also
 * the request's PickContext (the balancer's key, load and earlier picks), so that is not a second
 * object per request.
 */
import type { PickContext } from "../../balance/index.ts";
import type { SnapshotListener, SnapshotRoute } from "../../config/index.ts";
import type { TrafficStats } from "../stats/traffic-stats.ts";
import type { PoolRuntime } from "../pools/pool-runtime.ts";
import type { RequestTrace } from "./trace-step.ts";

export interface RequestState extends PickContext {
  listener: SnapshotListener | undefined;
  route: SnapshotRoute | undefined;
  rt: PoolRuntime | undefined;
  /** Backend index (into rt.backends) of the current attempt; -1 = none held. */
  index: number;
  /** Path (normalized) and query of the request-target, for routing, hashing and the log. */
  path: string;
  query: string;
  /** Path and query must go upstream as the target (absolute-form, or the path was normalized). */
  targetChanged: boolean;
  /** The request carried a valid sticky cookie that was honoured (no new cookie needed). */
  stickyHonoured: boolean;
  breakerHeld: boolean;
  /** This request holds one unit of its pool's retry budget. */
  retryHeld: boolean;
  routeStats: TrafficStats | undefined;
  poolStats: TrafficStats | undefined;
  /** W3C trace context, when the route or listener has `tracing`. */
  trace: RequestTrace | undefined;
}

/**
 * The state of a new request: `previous` (the request before on the connection, already logged)
 * reset in place when given, so a keep-alive connection's requests make no object each (issue 17).
 */
export function newRequestState(previous?: RequestState): RequestState {
  return previous === undefined ? freshRequestState() : resetRequestState(previous);
}

function resetRequestState(s: RequestState): RequestState {
  s.listener = undefined;
  s.route = undefined;
  s.rt = undefined;
  s.key = undefined;
  s.load = undefined;
  s.loadTotal = undefined;
  s.first = -1;
  s.last = -1;
  s.index = -1;
  s.path = "";
  s.query = "";
  s.targetChanged = false;
  s.stickyHonoured = false;
  s.breakerHeld = false;
  s.retryHeld = false;
  s.routeStats = undefined;
  s.poolStats = undefined;
  s.trace = undefined;
  // set by some pools' picks only (added to the object then)
  if (s.ticket !== undefined) s.ticket = undefined;
  if (s.loadSlots !== undefined) s.loadSlots = undefined;
  if (s.hash !== undefined) s.hash = undefined;
  return s;
}

function freshRequestState(): RequestState {
  return {
    listener: undefined,
    route: undefined,
    rt: undefined,
    // no `hash` (L4 passes one): eighteen fields fit a smaller heap cell than nineteen
    key: undefined,
    load: undefined,
    loadTotal: undefined,
    first: -1,
    last: -1,
    index: -1,
    path: "",
    query: "",
    targetChanged: false,
    stickyHonoured: false,
    breakerHeld: false,
    retryHeld: false,
    routeStats: undefined,
    poolStats: undefined,
    trace: undefined,
  };
}
