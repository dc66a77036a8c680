/**
 * The tracing step of the L7 request path (W3C Trace Context): at the request head, continue the
 * incoming traceparent (a new span id for this hop, tracestate kept, the parent's sampling
 * decision kept) or start a trace (sampled at the route's or listener's sample_rate); before the
 * head goes upstream, replace traceparent with ours; at the end, hand a sampled request's span to
 * its exporter. A malformed or repeated traceparent counts as absent, and a tracestate without a
 * valid traceparent is dropped, as the specification says. Nothing here runs for a listener or
 * route without `tracing`.
 */
import type { SnapshotTracing } from "../../config/index.ts";
import type { ProxyCtx } from "../../l7/index.ts";
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent, type TraceExporters } from "../../tracing/index.ts";
import type { RequestState } from "./request-state.ts";

/** A request's trace context (RequestState.trace). */
export interface RequestTrace {
  readonly tracing: SnapshotTracing;
  readonly traceId: string;
  /** This hop's span: the parent-id the backend sees. */
  readonly spanId: string;
  /** The incoming parent-id; "" when the trace starts here. */
  readonly parentSpanId: string;
  /** The incoming tracestate (joined); "" for none or for a trace started here. */
  readonly traceState: string;
  readonly flags: number;
  /** The request carried a tracestate that must not go on (its traceparent was absent or invalid). */
  readonly dropState: boolean;
}

type Ctx = ProxyCtx<RequestState>;

/** Reads the incoming context and decides the request's trace. */
export function beginTrace(ctx: Ctx, tracing: SnapshotTracing): RequestTrace {
  const req = ctx.req;
  const at = req.indexOf("traceparent");
  // Two traceparent fields cannot both be the parent: treated as none (W3C test suite: test_traceparent_duplicated).
  const parent = at >= 0 && req.indexOf("traceparent", at + 1) < 0 ? parseTraceparent(req.valueAt(at)) : undefined;
  const hasState = req.indexOf("tracestate") >= 0;
  if (parent) {
    return { tracing, traceId: parent.traceId, spanId: newSpanId(), parentSpanId: parent.parentId, traceState: hasState ? req.getAll("tracestate").join(",") : "", flags: parent.flags, dropState: false };
  }
  const sampled = tracing.sampleRate >= 1 || (tracing.sampleRate > 0 && Math.random() < tracing.sampleRate);
  return { tracing, traceId: newTraceId(), spanId: newSpanId(), parentSpanId: "", traceState: "", flags: sampled ? 1 : 0, dropState: hasState };
}

const DROP_PARENT = ["traceparent"];
const DROP_BOTH = ["traceparent", "tracestate"];
const withParent = new WeakMap<readonly string[], string[]>();
const withBoth = new WeakMap<readonly string[], string[]>();
/** Lists made here: already carrying our drops, so a second inject never merges again. */
const ours = new WeakSet<readonly string[]>([DROP_PARENT, DROP_BOTH]);

/** Sends our traceparent upstream instead of the client's (drop lists merged once per route, not per request). */
export function injectTrace(ctx: Ctx, t: RequestTrace): void {
  ctx.addRequestFields += `traceparent: ${formatTraceparent(t.traceId, t.spanId, t.flags)}\r\n`;
  const base = ctx.dropRequestFields;
  const extra = t.dropState ? DROP_BOTH : DROP_PARENT;
  if (base === null || base.length === 0) {
    ctx.dropRequestFields = extra;
    return;
  }
  if (ours.has(base)) return;
  const cache = t.dropState ? withBoth : withParent;
  let merged = cache.get(base);
  if (!merged) {
    cache.set(base, (merged = [...base, ...extra]));
    ours.add(merged);
  }
  ctx.dropRequestFields = merged;
}

/** Hands the span of a sampled request to its exporter (when its tracing names an endpoint). */
export function endTrace(ctx: Ctx, t: RequestTrace, exporters: TraceExporters, listener: string): void {
  if ((t.flags & 1) === 0) return;
  const exporter = exporters.for(t.tracing);
  if (!exporter) return;
  const s = ctx.user;
  const origin = performance.timeOrigin;
  exporter.record({
    traceId: t.traceId,
    spanId: t.spanId,
    parentSpanId: t.parentSpanId,
    traceState: t.traceState,
    flags: t.flags,
    startMs: origin + ctx.startedAt,
    upstreamStartMs: ctx.upstreamStartedAt > 0 ? origin + ctx.upstreamStartedAt : 0,
    responseStartMs: ctx.responseStartedAt > 0 ? origin + ctx.responseStartedAt : 0,
    endMs: origin + performance.now(),
    method: ctx.req.method,
    scheme: ctx.proto,
    host: ctx.req.host,
    path: s.path,
    query: s.query,
    clientAddress: ctx.clientAddress,
    userAgent: ctx.req.get("user-agent") ?? "",
    protocolVersion: ctx.req.versionMinor === 1 ? "1.1" : "1.0",
    status: ctx.status,
    listener,
    route: s.route?.name ?? "",
    pool: s.rt?.name ?? s.route?.pool?.name ?? s.listener?.pool?.name ?? "",
    backend: s.rt && s.index >= 0 ? s.rt.backends[s.index]!.address : "",
    retries: Math.max(0, ctx.attempt - 1),
    bytesIn: ctx.bytesIn,
    bytesOut: ctx.bytesOut,
    errorCode: ctx.error?.code ?? ctx.replyErrorCode ?? "",
  });
}
