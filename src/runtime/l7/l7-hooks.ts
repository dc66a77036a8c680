/**
 * The L7 listener's policy, as ProxyHooks for the engine in src/l7: routing, rate limits,
 * redirects, rewrites, header edits, balancing (hash keys, sticky cookies, live load), circuit
 * breaking, retries with a budget, passive health, stats and the access log. Everything here reads
 * the snapshot taken at the request head and the pool runtime chosen then, for the request's life.
 */
import { extractHashKey, signSticky, stickyIndex, backendIndex, type HashOn } from "../../balance/index.ts";
import type { SnapshotHolder, SnapshotListener, SnapshotRoute } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { badMessage, errorReply, grpcTimeoutMs, isGrpc, type ProxyCtx, type ProxyHooks, type ProxyReply, type ResponseHead, type Upstream } from "../../l7/index.ts";
import { hostOfAuthority } from "../../net/index.ts";
import type { AccessLog, AccessLogEntry } from "../../obs/index.ts";
import { logRefused, logRequest } from "./access-log-line.ts";
import type { BackendStats } from "../pools/backend-stats.ts";
import { cookieValue, stickyCookieLine } from "./cookies.ts";
import { listenerOf } from "../listeners/listener-lookup.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import { beginWork, endWork, type PoolRuntime } from "../pools/pool-runtime.ts";
import type { RateLimiters } from "./rate-limiters.ts";
import { newRequestState, type RequestState } from "./request-state.ts";
import { failureKind, mayEverRetry, REPLAY_BODY_BYTES, routeAllowsRetry, type RetryBudget } from "./retry-policy.ts";
import { editsOf, redirectReply } from "./route-edits.ts";
import { beginTrace, endTrace, injectTrace } from "./trace-step.ts";
import type { TraceExporters } from "../../tracing/index.ts";
import { matchRoute, originForm, queryParam, readTarget, rewriteTarget } from "./router.ts";
import type { L7Stats, TrafficStats } from "../stats/traffic-stats.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";
import type { AccessCounters } from "../stats/access-counters.ts";
import type { ClientLimits } from "../listeners/client-limits.ts";
import { clientCertOf, clientCertStep, connectionHooks, connectionStep, routeAccessStep } from "./access-step.ts";
import { recordCompression } from "../stats/compress-stats.ts";

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
  /** Upstream latency recorder per pool. */
  latency: (pool: string) => (seconds: number) => void;
  /** Upstream latency recorder of one backend (kept on its stats object once bound). */
  backendLatency: (s: BackendStats) => (seconds: number) => void;
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


/** A 400 for a target that cannot be routed safely; the connection closes after it, as after a parse error. */
function refuse(ctx: Ctx, problem: Parameters<typeof badMessage>[0]): ProxyReply {
  const err = badMessage(problem, false);
  ctx.error = err;
  return errorReply(err);
}

/** A gRPC call's grpc-timeout caps how long the proxy waits for it: for its response head, and in all. */
function capByGrpcTimeout(ctx: Ctx): void {
  const ms = grpcTimeoutMs(ctx.req.get("grpc-timeout"));
  if (ms === undefined) return;
  ctx.responseTimeoutMs = Math.min(ctx.responseTimeoutMs, ms);
  ctx.requestTimeoutMs = ctx.requestTimeoutMs > 0 ? Math.min(ctx.requestTimeoutMs, ms) : ms;
}

// The closures below live in functions of their own: made inside onRequest, they would cost every
// request a scope object for the variables they capture, even when never created.

function routeOf(l: SnapshotListener, ctx: Ctx, path: string, query: string): SnapshotRoute | undefined {
  return matchRoute(l, {
    method: ctx.req.method, host: hostOfAuthority(ctx.req.host), path, query, header: (n) => ctx.req.get(n),
    cert: l.clientAuth ? clientCertOf(ctx.conn) : null,
  });
}

function hashKey(hashOn: HashOn, ctx: Ctx, query: string): string | undefined {
  return extractHashKey(hashOn, {
    clientIp: ctx.clientAddress,
    header: (n) => ctx.req.get(n.toLowerCase()),
    cookie: (n) => cookieValue(ctx.req.getAll("cookie"), n),
    query: (n) => queryParam(query, n),
  });
}

/** Builds the hooks for listener `deps.name`. */
export function l7Hooks(deps: L7HookDeps): ProxyHooks<RequestState> {
  const { pools, stats } = deps;
  const listenerStats = stats.listeners.get(deps.name);
  // Written afresh for each logged request (access-log-line.ts), so none is allocated per request.
  const logEntry: AccessLogEntry = {};
  // Route objects live as long as their snapshot: look their counters up once, not by name per request.
  const routeStats = new WeakMap<SnapshotRoute, TrafficStats>();

  const release = (ctx: Ctx): void => {
    const s = ctx.user;
    if (s.rt && s.index >= 0) {
      endWork(s.rt, s.index, pools.current(s.rt.name));
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
      if (!deps.budget.tryAcquire(s.rt.name, s.rt.loadTotal)) return false;
      s.retryHeld = true;
    }
    return true;
  };

  return {
    newCtx: newRequestState,
    ...connectionHooks(deps.name, deps.holder, deps.limits, deps.counters),

    onRequest(ctx) {
      const s = ctx.user;
      const l = listenerOf(deps.holder.current(), deps.name);
      if (!l) return { status: 503, errorCode: "NO_ROUTE", body: "listener is being reconfigured\n" };
      s.listener = l;
      listenerStats.active++;
      if (l.trustedProxies.size > 0) ctx.trustForwarded = l.trustedProxies.contains(ctx.clientAddress);
      if (ctx.conn.slot !== undefined || l.access !== undefined || l.clientAuth !== undefined) {
        const closed = connectionStep(ctx, l, deps.counters);
        if (closed) return closed;
      }
      const refused = readTarget(ctx.req, l.mergeSlashes, s);
      if (refused) return refuse(ctx, refused.problem);
      const { path, query } = s;
      // Most listeners route everything to one pool: skip building the routing view for them.
      const route = l.routes.length === 0 ? undefined : routeOf(l, ctx, path, query);
      s.route = route;
      ctx.compress = (route ? route.compress : l.compress) ?? null;
      // Counted from the match on, so requests refused below (rate limit, redirect, no healthy
      // backend, overflow) show in the route's and pool's series too, not only the listener's.
      if (route) {
        let rs = routeStats.get(route);
        if (!rs) routeStats.set(route, (rs = stats.routes.get(`${l.name}/${route.name}`)));
        s.routeStats = rs;
        s.routeStats.active++;
      }
      if (route?.access) {
        const denied = routeAccessStep(ctx, l, route, deps.access);
        if (denied) return denied;
      }
      const tracing = route ? route.tracing : l.tracing;
      if (tracing) s.trace = beginTrace(ctx, tracing);
      if (l.rateLimit || route?.rateLimit) {
        const limited = deps.limiters.check(l, route, ctx.clientAddress);
        if (limited) return limited;
      }
      if (route?.redirect) return redirectReply(ctx, l, route.redirect);
      const pool = route ? route.pool : l.pool;
      if (!pool) return { status: 404, errorCode: "NO_ROUTE", body: "no route matches this request\n" };
      s.poolStats = stats.pools.get(pool.name);
      s.poolStats.active++;
      const rt = pools.current(pool.name);
      if (!rt || rt.backends.length === 0) {
        return { status: 503, errorCode: "NO_HEALTHY_BACKEND", body: `no healthy backend in pool ${pool.name}\n` };
      }
      s.rt = rt;
      if (!rt.breaker.tryAcquire("requests")) return { status: 503, errorCode: "OVERFLOW", body: `pool ${pool.name} is at its request limit\n` };
      s.breakerHeld = true;
      // The backend gets the path that was routed (README: "Paths"), origin-form.
      if (s.targetChanged) ctx.upstreamTarget = originForm(s);
      if (route) {
        const rewritten = rewriteTarget(route, path, query);
        if (rewritten !== undefined) ctx.upstreamTarget = rewritten;
        const edits = editsOf(route);
        ctx.addRequestFields += edits.requestLines;
        ctx.dropRequestFields = edits.requestDrop;
        if (route.upgrade) ctx.upgrades = route.upgrade;
        if (route.hostRewrite !== undefined) ctx.upstreamHost = route.hostRewrite;
        if (route.timeoutMs !== undefined) ctx.responseTimeoutMs = route.timeoutMs;
        if (ctx.req.bodyKind !== 0 && mayEverRetry(route, ctx.req.method)) ctx.replayBodyBytes = REPLAY_BODY_BYTES;
      }
      if (l.clientAuth) clientCertStep(ctx);
      if (ctx.responseTimeoutMs === 0) ctx.responseTimeoutMs = rt.config.responseTimeoutMs;
      ctx.connectTimeoutMs = route?.connectTimeoutMs ?? rt.config.connectTimeoutMs;
      ctx.idleTimeoutMs = route?.idleTimeoutMs ?? rt.config.idleTimeoutMs ?? 0;
      ctx.requestTimeoutMs = route?.requestTimeoutMs ?? rt.config.requestTimeoutMs ?? 0;
      if (isGrpc(ctx.req)) capByGrpcTimeout(ctx);
      ctx.connGroup = rt.conns;
      const hashOn = rt.config.hashOn;
      if (hashOn) s.key = hashKey(hashOn, ctx, query);
      s.load = rt.load;
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
        s.loadTotal = rt.loadTotal;
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
      const seconds = (ctx.responseStartedAt - ctx.upstreamStartedAt) / 1000;
      deps.latency(rt.name)(seconds);
      if (s.index >= 0) deps.backendLatency(rt.stats[s.index]!)(seconds);
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
      listenerStats.active--;
      listenerStats.record(ctx.status, ctx.bytesIn, ctx.bytesOut, 0, code);
      if (ttfb >= 0) listenerStats.durations.observe(ttfb);
      if (s.routeStats) {
        s.routeStats.active--;
        s.routeStats.record(ctx.status, ctx.bytesIn, ctx.bytesOut, retries, code);
        if (ttfb >= 0) s.routeStats.durations.observe(ttfb);
      }
      if (s.poolStats) {
        s.poolStats.active--;
        s.poolStats.record(ctx.status, ctx.bytesIn, ctx.bytesOut, retries, code);
      }
      if (s.rt && s.index >= 0) s.rt.stats[s.index]!.record(ctx.status, ctx.bytesIn, ctx.bytesOut, 0, code);
      const backend = s.rt && s.index >= 0 ? s.rt.backends[s.index]!.address : undefined;
      if (s.trace) endTrace(ctx, s.trace, deps.tracing, deps.name);
      if (ctx.contentCoding !== null) recordCompression(stats.compress, deps.name, s.route?.name, ctx.contentCoding, ctx.compressedIn, ctx.compressedOut);
      release(ctx);
      const log = s.listener ? deps.accessLog(s.listener) : undefined;
      if (log) logRequest(log, logEntry, ctx, deps.name, code, backend);
    },

    onParseError(client, err) {
      listenerStats.record(err.status, 0, 0, 0, err.code);
      const l = listenerOf(deps.holder.current(), deps.name);
      const log = l ? deps.accessLog(l) : undefined;
      if (log) logRefused(log, client, deps.name, err.status, err.code);
    },
  };
}
