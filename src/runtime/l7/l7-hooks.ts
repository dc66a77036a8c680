/**
 * The L7 listener's policy, as ProxyHooks for the engine in src/l7: routing, rate limits,
 * redirects, rewrites, header edits, balancing (hash keys, sticky cookies, live load), circuit
 * breaking, retries with a budget, passive health, stats and the access log. Everything here reads
 * the snapshot taken at the request head and the pool runtime chosen then, for the request's life.
 */
import { signSticky, stickyIndex, backendIndex } from "../../balance/index.ts";
import type { Snapshot, SnapshotHolder, SnapshotListener, SnapshotPool, SnapshotRoute } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { isGrpc, type ProxyCtx, type ProxyHooks, type ResponseHead, type Upstream } from "../../l7/index.ts";
import type { AccessLog, AccessLogEntry } from "../../obs/index.ts";
import { logRefused, logRequest } from "./access-log-line.ts";
import type { BackendStats } from "../pools/backend-stats.ts";
import { cookieValue, stickyCookieLine } from "./cookies.ts";
import { listenerOf } from "../listeners/listener-lookup.ts";
import { exitWorker, FAULT_HEADER, faults } from "../faults.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import { beginWork, endWork, poolLoad, ticketOf, type PoolRuntime } from "../pools/pool-runtime.ts";
import type { RateLimiters } from "./rate-limiters.ts";
import { newRequestState, type RequestState } from "./request-state.ts";
import { failureKind, routeAllowsRetry, type RetryBudget } from "./retry-policy.ts";
import { editsOf } from "./route-edits.ts";
import { admit, applyRouteSettings, hashKey, resolveRoute, type StepDeps } from "./request-steps.ts";
import { beginTrace, endTrace, injectTrace } from "./trace-step.ts";
import type { TraceExporters } from "../../tracing/index.ts";
import type { L7Stats, TrafficStats } from "../stats/traffic-stats.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";
import type { AccessCounters } from "../stats/access-counters.ts";
import type { ClientLimits } from "../listeners/client-limits.ts";
import { connectionHooks } from "./access-step.ts";
import { recordCompression } from "../stats/compress-stats.ts";
import { recordRequestEnd } from "../stats/request-end.ts";

export interface L7HookDeps {
  name: string;
  holder: SnapshotHolder;
  pools: PoolRegistry;
  stats: L7Stats;
  /** This listener's connection-level counters (access, per-client limit, client certificates). */
  counters: ListenerCounters;
  /** max_connections_per_client's tables. */
  limits: ClientLimits;
  /** Refusals by route access lists. */
  access: AccessCounters;
  budget: RetryBudget;
  limiters: RateLimiters;
  accessLog: (l: SnapshotListener) => AccessLog | undefined;
  /** Records one upstream latency (request sent to response head) of `pool` and of the backend that answered. */
  upstreamLatency: (pool: string, backend: BackendStats | undefined, seconds: number) => void;
  /** Span exporters of listeners and routes with `tracing`. */
  tracing: TraceExporters;
}

type Ctx = ProxyCtx<RequestState>;

const stickyIndexes = new WeakMap<PoolRuntime, ReadonlyMap<string, number>>();
function stickyMap(rt: PoolRuntime): ReadonlyMap<string, number> {
  let m = stickyIndexes.get(rt);
  if (!m) {
    m = backendIndex(rt.backends.map((b) => ({ key: b.address, weight: b.weight })));
    stickyIndexes.set(rt, m);
  }
  return m;
}


/** Builds the hooks for listener `deps.name`. */
export function l7Hooks(deps: L7HookDeps): ProxyHooks<RequestState> {
  const { pools, stats } = deps;
  const listenerStats = stats.listeners.get(deps.name);
  const steps: StepDeps = {
    pools, stats, limiters: deps.limiters, counters: deps.counters, access: deps.access,
    routeStats: new WeakMap<SnapshotRoute, TrafficStats>(), poolStats: new WeakMap<SnapshotPool, TrafficStats>(),
  };
  // This listener in the current snapshot, looked up again only when the snapshot changes.
  let seenSnap: Snapshot | undefined;
  let seenListener: SnapshotListener | undefined;
  const listenerNow = (): SnapshotListener | undefined => {
    const snap = deps.holder.current();
    if (snap !== seenSnap) {
      seenListener = listenerOf(snap, deps.name);
      seenSnap = snap;
    }
    return seenListener;
  };
  // Written afresh for each logged request (access-log-line.ts), so none is allocated per request.
  const logEntry: AccessLogEntry = {};

  const release = (ctx: Ctx): void => {
    const s = ctx.user;
    if (s.rt && s.index >= 0) {
      // A pool whose load the workers share counts in its slots, never in `current`: no lookup for it.
      endWork(s.rt, s.index, s.rt.share ? undefined : pools.current(s.rt.name));
      s.index = -1;
    }
    if (s.breakerHeld) {
      s.breakerHeld = false;
      s.rt?.breaker.release("requests");
    }
    if (s.retryHeld) {
      s.retryHeld = false;
      if (s.rt) deps.budget.release(s.rt.name);
    }
  };

  const mayRetry = (ctx: Ctx, trigger: string): boolean => {
    const s = ctx.user;
    if (!s.rt || !routeAllowsRetry(s.route, ctx.req.method, ctx.attempt, trigger)) return false;
    if (s.rt.backends.length < 2) return false;
    // A refused connection never reached a backend, so retrying it adds no load anywhere: only
    // retries of requests a backend may have worked on draw from the budget.
    if (trigger === "connect_failure") return true;
    if (!s.retryHeld) {
      if (!deps.budget.tryAcquire(s.rt.name, poolLoad(s.rt))) return false;
      s.retryHeld = true;
    }
    return true;
  };

  return {
    newCtx: newRequestState,
    ...connectionHooks(deps.name, deps.holder, deps.limits, deps.counters),

    onRequest(ctx) {
      if (faults.enabled && ctx.req.get(FAULT_HEADER) === "exit-worker") exitWorker();
      const l = listenerNow();
      if (!l) return { status: 503, errorCode: "NO_ROUTE", body: "listener is being reconfigured\n" };
      listenerStats.active++;
      const reply = resolveRoute(steps, ctx, l);
      if (reply) return reply;
      const s = ctx.user;
      const tracing = s.route ? s.route.tracing : l.tracing;
      if (tracing) s.trace = beginTrace(ctx, tracing);
      const refused = admit(steps, ctx, l);
      if (refused) return refused;
      const rt = s.rt!;
      applyRouteSettings(ctx, l, s.route, rt);
      hashKey(ctx, rt);
      if (s.trace) injectTrace(ctx, s.trace);
      return null;
    },

    selectUpstream(ctx): Upstream | LbError {
      const s = ctx.user;
      const rt = s.rt!;
      if (s.index >= 0) endWork(rt, s.index, pools.current(rt.name));
      s.index = -1;
      const attempt = ctx.attempt - 1;
      let i = -1;
      const sticky = rt.config.sticky;
      if (sticky && attempt === 0) {
        i = stickyIndex(cookieValue(ctx.req.getAll("cookie"), sticky.cookie), sticky.secret, Date.now(), stickyMap(rt));
        s.stickyHonoured = i >= 0;
        if (i >= 0) s.first = s.last = i;
      }
      if (i < 0) {
        s.loadTotal = poolLoad(rt);
        // Only a pool whose load the workers share goes round in the node's sequence.
        if (attempt === 0 && (rt.share !== undefined || s.ticket !== undefined)) s.ticket = ticketOf(rt);
        i = rt.selector.pick(s, attempt);
      }
      if (i < 0) return new LbError("NO_HEALTHY_BACKEND", `no healthy backend in pool ${rt.name}`);
      if (attempt > 0) {
        listenerStats.retries++;
        rt.stats[i]!.retries++;
        s.stickyHonoured = false; // the retry moved the client: pin it to where it landed
      }
      beginWork(rt, i);
      s.index = i;
      return rt.backends[i]!;
    },

    onResponse(ctx, res: ResponseHead) {
      const s = ctx.user;
      const rt = s.rt!;
      pools.report(rt, s.index, res.status >= 500 ? "http_5xx" : "success");
      deps.upstreamLatency(rt.name, s.index >= 0 ? rt.stats[s.index] : undefined, (ctx.responseStartedAt - ctx.upstreamStartedAt) / 1000);
      const sticky = rt.config.sticky;
      if (sticky && !s.stickyHonoured && s.index >= 0) {
        const value = signSticky(rt.backends[s.index]!.address, sticky.secret, Date.now(), sticky.ttlS);
        ctx.addResponseFields += stickyCookieLine(sticky.cookie, value, sticky.ttlS, ctx.proto === "https");
      }
      if (s.route?.responseHeaders) {
        const edits = editsOf(s.route);
        ctx.addResponseFields += edits.responseLines;
        ctx.dropResponseFields = edits.responseDrop;
      }
    },

    retryOnResponse(ctx, res) {
      // a gRPC call is retried only when no response head came back (a head may carry the call's result)
      const retry = !isGrpc(ctx.req) && mayRetry(ctx, String(res.status));
      // A relayed response is reported once, by onResponse (and counted by onLog); only one dropped
      // for a retry is reported and counted here, as that backend's attempt ended.
      if (retry && ctx.user.rt && ctx.user.index >= 0) {
        pools.report(ctx.user.rt, ctx.user.index, res.status >= 500 ? "http_5xx" : "success");
        ctx.user.rt.stats[ctx.user.index]!.record(res.status, 0, 0, 0, undefined);
      }
      return retry;
    },

    onConnectFailure(ctx, err) {
      const s = ctx.user;
      if (s.rt && s.index >= 0) pools.report(s.rt, s.index, "gateway_failure");
      // A reused keep-alive connection closed under a bodiless request is always safe to resend, and so
      // is a stream an HTTP/2 backend refused unprocessed (the exchange only asks when it can replay it).
      const safe = (err.retryable && ctx.reusedConnection && ctx.attempt < 2 && ctx.req.bodyKind === 0) || (err.code === "UPSTREAM_REFUSED" && ctx.attempt < 3);
      const retry = safe || mayRetry(ctx, failureKind(err));
      // An attempt given up for a retry ends here, as the error reply it would have been; the last one is counted by onLog.
      if (retry && s.rt && s.index >= 0) s.rt.stats[s.index]!.record(err.status, 0, 0, 0, err.code);
      return retry;
    },

    onLog(ctx) {
      const s = ctx.user;
      const code = ctx.error?.code ?? ctx.replyErrorCode ?? undefined;
      const retries = Math.max(0, ctx.attempt - 1);
      // Request head in to response head out, from times already taken (no clock read here).
      const ttfb = ctx.responseStartedAt > 0 ? ctx.responseStartedAt - ctx.startedAt : -1;
      const answered = s.rt && s.index >= 0 ? s.rt.stats[s.index] : undefined;
      recordRequestEnd(listenerStats, s.routeStats, s.poolStats, answered, ctx.status, ctx.bytesIn, ctx.bytesOut, retries, code, ttfb);
      const log = s.listener ? deps.accessLog(s.listener) : undefined;
      // read before release() lets the backend go
      const backend = log && s.rt && s.index >= 0 ? s.rt.backends[s.index]!.address : undefined;
      if (s.trace) endTrace(ctx, s.trace, deps.tracing, deps.name);
      if (ctx.contentCoding !== null) recordCompression(stats.compress, deps.name, s.route?.name, ctx.contentCoding, ctx.compressedIn, ctx.compressedOut);
      release(ctx);
      if (log) logRequest(log, logEntry, ctx, deps.name, code, backend);
    },

    onParseError(client, err) {
      listenerStats.record(err.status, 0, 0, 0, err.code);
      const l = listenerNow();
      const log = l ? deps.accessLog(l) : undefined;
      if (log) logRefused(log, client, deps.name, err.status, err.code);
    },
  };
}
