/**
 * Tracing on the request path (issue 18): what the tracing step costs one request when a route has
 * `tracing` (read the incoming traceparent, make a span id, write ours, hand the span to the
 * exporter's queue), and what it costs when it has none (one property read and a branch). The
 * batch encoding is timed apart: it runs in the exporter's timer, off the request path.
 */
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { DEFAULT_LIMITS, type RequestHead } from "../../src/http/index.ts";
import { parseRequestHead } from "../../src/http/request-head.ts";
import type { ProxyCtx } from "../../src/l7/index.ts";
import { Registry } from "../../src/obs/index.ts";
import { newRequestState, type RequestState } from "../../src/runtime/l7/request-state.ts";
import { beginTrace, endTrace, injectTrace } from "../../src/runtime/l7/trace-step.ts";
import { encodeTraces, TraceExporters, type SpanRecord } from "../../src/tracing/index.ts";
import { nsPerOp, type Report } from "./harness.ts";

function head(traceparent: boolean): RequestHead {
  const text = `GET /orders?id=7 HTTP/1.1\r\nhost: api.example.com\r\nuser-agent: wrk\r\n${traceparent ? "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\ntracestate: a=1\r\n" : ""}\r\n`;
  const buf = Buffer.from(text, "latin1");
  return parseRequestHead(buf, 0, buf.length, new Int32Array(DEFAULT_LIMITS.maxHeaderCount * 5), DEFAULT_LIMITS);
}

function ctxOf(req: RequestHead): ProxyCtx<RequestState> {
  const user = newRequestState();
  user.path = "/orders";
  user.query = "id=7";
  return {
    req, conn: { clientAddress: "127.0.0.1", slot: undefined, tlsPeer: () => null }, clientAddress: "127.0.0.1", proto: "http", requestId: "r", attempt: 1, upstream: null, res: null, status: 200, error: null,
    startedAt: performance.now(), upstreamStartedAt: performance.now(), responseStartedAt: performance.now(), bytesIn: 0, bytesOut: 128,
    upstreamTarget: null, upstreamHost: null, addRequestFields: "", addResponseFields: "", upgrades: [], dropRequestFields: null,
    dropResponseFields: null, responseTimeoutMs: 0, connectTimeoutMs: 0, requestTimeoutMs: 0, idleTimeoutMs: 0, connGroup: null,
    reusedConnection: false, replyErrorCode: null, trustForwarded: false, replayBodyBytes: 0, user, httpVersion: "HTTP/1.1",
    compress: null, contentCoding: null, compressedIn: 0, compressedOut: 0,
  };
}

export async function run(report: Report): Promise<void> {
  const snap = compileSnapshot(validateConfig({
    listeners: [
      { name: "off", protocol: "http", address: "127.0.0.1:0", pool: "app" },
      { name: "on", protocol: "http", address: "127.0.0.1:0", pool: "app", tracing: { sample_rate: 1, otlp_endpoint: "http://127.0.0.1:9/v1/traces" } },
    ],
    pools: [{ name: "app", backends: [{ address: "127.0.0.1:9" }] }],
  }), 1);
  const [off, on] = snap.listeners;
  const registry = new Registry();
  const withParent = ctxOf(head(true));
  const without = ctxOf(head(false));
  let sink = 0;
  const offNs = nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      const tracing = off!.tracing;
      if (tracing) sink++;
    }
  }, 1_000_000);
  report({ name: "tracing: request step, listener without tracing", value: offNs, unit: "ns/req" });
  // Fewer requests per loop than the queue holds, and fresh exporters per loop: every span is
  // queued (the batch timer never runs inside a synchronous loop, so nothing else empties it).
  const steps = (ctx: ProxyCtx<RequestState>) => (n: number) => {
    const exporters = new TraceExporters(registry, () => {});
    for (let i = 0; i < n; i++) {
      ctx.addRequestFields = "";
      ctx.dropRequestFields = null;
      const t = beginTrace(ctx, on!.tracing!);
      injectTrace(ctx, t);
      endTrace(ctx, t, exporters, "on");
    }
    sink += exporters.for(on!.tracing!)!.queued;
  };
  report({ name: "tracing: request step, traceparent continued, span queued", value: nsPerOp(steps(withParent), 2000), unit: "ns/req" });
  report({ name: "tracing: request step, trace started, span queued", value: nsPerOp(steps(without), 2000), unit: "ns/req" });
  const spans: SpanRecord[] = [];
  const t = Date.now();
  for (let i = 0; i < 512; i++) spans.push({
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: "1111111111111111", traceState: "a=1", flags: 1,
    startMs: t, upstreamStartMs: t + 0.1, responseStartMs: t + 0.5, endMs: t + 0.6, method: "GET", scheme: "http", host: "api.example.com",
    path: "/orders", query: "id=7", clientAddress: "127.0.0.1", userAgent: "wrk", protocolVersion: "1.1", status: 200, listener: "on",
    route: "api", pool: "app", backend: "127.0.0.1:9", retries: 0, bytesIn: 0, bytesOut: 128, errorCode: "",
  });
  const origin = { serviceName: "fulcrum", serviceVersion: "0", instanceId: "b", hostName: "b" };
  const encodeNs = nsPerOp((n) => { for (let i = 0; i < n; i++) sink += encodeTraces(spans, origin).length; }, 20);
  report({ name: "tracing: OTLP JSON encoding in the batch timer", value: encodeNs / 512, unit: "ns/span" });
  if (sink < 0) console.log(sink);
}

