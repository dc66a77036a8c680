/**
 * The steps of an L7 request's head, in the order l7-hooks.ts runs them: resolve the route
 * (the connection's and the route's access checks on the way), (start or continue its trace,)
 * admit the request (rate limits, redirects, a running pool with a backend, the pool's request
 * cap), apply the route's and pool's settings to the exchange, and extract the hash key the
 * pool balances on. Each step reads the snapshot and pool runtime the request started with.
 * Functions that make closures (keyOf) run only when needed: a function holding a
 * closure costs a scope object per call, made or not (measured by the alloc test).
 */
import { extractHashKey, type HashOn } from "../../balance/index.ts";
import type { SnapshotListener, SnapshotPool, SnapshotRoute } from "../../config/index.ts";
import { badMessage, errorReply, grpcTimeoutMs, isGrpc, type ProxyCtx, type ProxyReply } from "../../l7/index.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import type { PoolRuntime } from "../pools/pool-runtime.ts";
import type { L7Stats, TrafficStats } from "../stats/traffic-stats.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";
import type { AccessCounters } from "../stats/access-counters.ts";
import { clientCertOf, clientCertStep, connectionStep, routeAccessStep } from "./access-step.ts";
import { cookieValue } from "./cookies.ts";
import type { RateLimiters } from "./rate-limiters.ts";
import type { RequestState } from "./request-state.ts";
import { mayEverRetry, REPLAY_BODY_BYTES } from "./retry-policy.ts";
import { editsOf, redirectReply } from "./route-edits.ts";
import { originForm, queryParam, readTarget, rewriteTarget } from "./router.ts";
import { matchRequest } from "./route-view.ts";

type Ctx = ProxyCtx<RequestState>;

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

/** What the steps share for one listener: its counters, and route counters looked up once per route object. */
export interface StepDeps {
  readonly pools: PoolRegistry;
  readonly stats: L7Stats;
  readonly limiters: RateLimiters;
  /** The listener's connection-level counters (access, per-client limit, client certificates). */
  readonly counters: ListenerCounters;
  /** Refusals by route access lists. */
  readonly access: AccessCounters;
  /** Route objects live as long as their snapshot: their counters are found by name once. */
  readonly routeStats: WeakMap<SnapshotRoute, TrafficStats>;
  /** Pool objects too (a StatsBook never drops an entry, so a cached one stays the name's). */
  readonly poolStats: WeakMap<SnapshotPool, TrafficStats>;
}

function keyOf(hashOn: HashOn, ctx: Ctx, query: string): string | undefined {
  return extractHashKey(hashOn, {
    clientIp: ctx.clientAddress,
    header: (n) => ctx.req.get(n.toLowerCase()),
    cookie: (n) => cookieValue(ctx.req.getAll("cookie"), n),
    query: (n) => queryParam(query, n),
  });
}

/**
 * Checks the connection (its client's limit, the listener's access list, its certificate), reads
 * the target and matches the listener's routes; sets ctx.user.listener, path, query and route
 * (undefined: the listener's default pool). Returns the reply for a refused connection, an
 * unroutable target (400) or a route's access list denying the client.
 */
export function resolveRoute(d: StepDeps, ctx: Ctx, l: SnapshotListener): ProxyReply | null {
  const s = ctx.user;
  s.listener = l;
  if (l.trustedProxies.size > 0) ctx.trustForwarded = l.trustedProxies.contains(ctx.clientAddress);
  if (ctx.conn.slot !== undefined || l.access !== undefined || l.clientAuth !== undefined) {
    const closed = connectionStep(ctx, l, d.counters);
    if (closed) return closed;
  }
  const refused = readTarget(ctx.req, l.mergeSlashes, s);
  if (refused) return refuse(ctx, refused.problem);
  // Most listeners route everything to one pool: skip building the routing view for them.
  const route = l.routes.length === 0 ? undefined : matchRequest(l, ctx, s.path, s.query, l.clientAuth ? clientCertOf(ctx.conn) : null);
  s.route = route;
  ctx.compress = (route ? route.compress : l.compress) ?? null;
  // Counted from the match on, so requests refused later (rate limit, redirect, no healthy
  // backend, overflow) show in the route's and pool's series too, not only the listener's.
  if (route) {
    let rs = d.routeStats.get(route);
    if (!rs) d.routeStats.set(route, (rs = d.stats.routes.get(`${l.name}/${route.name}`)));
    s.routeStats = rs;
    rs.active++;
  }
  return route?.access ? routeAccessStep(ctx, l, route, d.access) : null;
}

/**
 * Decides whether the routed request may go on: under its rate limits, not a redirect, a pool
 * with a usable backend, and a unit of the pool's max_requests taken (ctx.user.breakerHeld).
 * Sets ctx.user.rt; returns the reply when the proxy answers itself.
 */
export function admit(d: StepDeps, ctx: Ctx, l: SnapshotListener): ProxyReply | null {
  const s = ctx.user;
  const route = s.route;
  if (l.rateLimit || route?.rateLimit) {
    const limited = d.limiters.check(l, route, ctx.clientAddress);
    if (limited) return limited;
  }
  if (route?.redirect) return redirectReply(ctx, l, route.redirect);
  const pool = route ? route.pool : l.pool;
  if (!pool) return { status: 404, errorCode: "NO_ROUTE", body: "no route matches this request\n" };
  let ps = d.poolStats.get(pool);
  if (!ps) d.poolStats.set(pool, (ps = d.stats.pools.get(pool.name)));
  s.poolStats = ps;
  ps.active++;
  const rt = d.pools.current(pool.name);
  if (!rt || rt.backends.length === 0) {
    return { status: 503, errorCode: "NO_HEALTHY_BACKEND", body: `no healthy backend in pool ${pool.name}\n` };
  }
  s.rt = rt;
  if (!rt.breaker.tryAcquire("requests")) return { status: 503, errorCode: "OVERFLOW", body: `pool ${pool.name} is at its request limit\n` };
  s.breakerHeld = true;
  return null;
}

/** Sets the exchange's target, header edits, upgrades, host, timeouts and connection group from the route and pool. */
export function applyRouteSettings(ctx: Ctx, l: SnapshotListener, route: SnapshotRoute | undefined, rt: PoolRuntime): void {
  const s = ctx.user;
  // The backend gets the path that was routed (README: "Paths"), origin-form.
  if (s.targetChanged) ctx.upstreamTarget = originForm(s);
  if (route) {
    const rewritten = rewriteTarget(route, s.path, s.query);
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
}

/** Extracts the pool's hash key (hashing pools only) and the load the picks read, into ctx.user (the PickContext). */
export function hashKey(ctx: Ctx, rt: PoolRuntime): void {
  const s = ctx.user;
  const hashOn = rt.config.hashOn;
  if (hashOn) s.key = keyOf(hashOn, ctx, s.query);
  s.load = rt.load;
  // Set only with workers (a shared load): a node of one thread keeps the state's shape as built.
  if (rt.loadSlots !== undefined || s.loadSlots !== undefined) s.loadSlots = rt.loadSlots;
}
