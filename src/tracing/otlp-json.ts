/**
 * Spans as an OTLP/HTTP JSON ExportTraceServiceRequest (opentelemetry-proto
 * collector/trace/v1/trace_service.proto, JSON as its specification's "JSON Protobuf Encoding"
 * says: lowerCamelCase keys, trace and span ids as hex, enums as integers, 64-bit integers as
 * decimal strings). Attribute names follow OpenTelemetry's HTTP semantic conventions for a server
 * span; what they do not name (listener, route, pool, backend, upstream timing) is `fulcrum.*`.
 */
import type { SpanRecord } from "./span.ts";

/** Who exports: the resource (service) and instrumentation scope of every span in a request. */
export interface ExportOrigin {
  serviceName: string;
  serviceVersion: string;
  instanceId: string;
  hostName: string;
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
type KeyValue = { key: string; value: AnyValue };

const SPAN_KIND_SERVER = 2;
const STATUS_CODE_ERROR = 2;
/** Span flags: W3C trace-flags in the low byte, then "has is_remote" and "is_remote" (trace.proto SpanFlags). */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** The request body for `spans` (a JSON string). */
export function encodeTraces(spans: readonly SpanRecord[], origin: ExportOrigin): string {
  const version = origin.serviceVersion;
  return JSON.stringify({
    resourceSpans: [{
      resource: {
        attributes: [
          str("service.name", origin.serviceName),
          str("service.version", version),
          str("service.instance.id", origin.instanceId),
          str("host.name", origin.hostName),
        ],
      },
      scopeSpans: [{ scope: { name: "fulcrum", version }, spans: spans.map(encodeSpan) }],
    }],
  });
}

function encodeSpan(s: SpanRecord): Record<string, unknown> {
  const failed = s.status === 0 || s.status >= 500;
  const events = [];
  if (s.upstreamStartMs > 0) events.push({ timeUnixNano: nanos(s.upstreamStartMs), name: "upstream request sent", attributes: [str("fulcrum.backend", s.backend)] });
  if (s.responseStartMs > 0) events.push({ timeUnixNano: nanos(s.responseStartMs), name: "upstream response head received", attributes: [] });
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId !== "" ? { parentSpanId: s.parentSpanId } : {}),
    ...(s.traceState !== "" ? { traceState: s.traceState } : {}),
    flags: (s.flags & 0xff) | HAS_IS_REMOTE | (s.parentSpanId !== "" ? IS_REMOTE : 0),
    name: s.route !== "" ? `${s.method} ${s.route}` : s.method,
    kind: SPAN_KIND_SERVER,
    startTimeUnixNano: nanos(s.startMs),
    endTimeUnixNano: nanos(s.endMs),
    attributes: attributes(s, failed),
    events,
    status: failed ? { code: STATUS_CODE_ERROR, message: s.errorCode !== "" ? s.errorCode : s.status === 0 ? "no response" : `status ${s.status}` } : {},
  };
}

function attributes(s: SpanRecord, failed: boolean): KeyValue[] {
  const { host, port } = splitHost(s.host);
  const a: KeyValue[] = [
    str("http.request.method", s.method),
    str("url.scheme", s.scheme),
    str("url.path", s.path),
    str("client.address", s.clientAddress),
    str("network.protocol.name", "http"),
    str("network.protocol.version", s.protocolVersion),
    str("fulcrum.listener", s.listener),
    int("http.request.body.size", s.bytesIn),
    int("http.response.body.size", s.bytesOut),
  ];
  if (s.query !== "") a.push(str("url.query", s.query));
  if (host !== "") a.push(str("server.address", host));
  if (port > 0) a.push(int("server.port", port));
  if (s.userAgent !== "") a.push(str("user_agent.original", s.userAgent));
  if (s.status > 0) a.push(int("http.response.status_code", s.status));
  if (failed) a.push(str("error.type", s.errorCode !== "" ? s.errorCode : s.status > 0 ? String(s.status) : "_OTHER"));
  if (s.route !== "") a.push(str("fulcrum.route", s.route));
  if (s.pool !== "") a.push(str("fulcrum.pool", s.pool));
  if (s.backend !== "") a.push(str("fulcrum.backend", s.backend));
  if (s.retries > 0) a.push(int("http.request.resend_count", s.retries));
  a.push(int("fulcrum.retries", s.retries));
  if (s.responseStartMs > 0 && s.upstreamStartMs > 0) a.push(dbl("fulcrum.upstream.latency_ms", s.responseStartMs - s.upstreamStartMs));
  return a;
}

/** Unix ms (fractional) as OTLP's fixed64 nanoseconds: a decimal string, exact to the microsecond. */
export function nanos(ms: number): string {
  return `${BigInt(Math.round(ms * 1000)) * 1000n}`;
}

function splitHost(h: string): { host: string; port: number } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(h);
  if (!m) return { host: h, port: 0 };
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: m[2] === undefined ? 0 : Number(m[2]) };
}

function str(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}
function int(key: string, value: number): KeyValue {
  return { key, value: { intValue: String(Math.trunc(value)) } };
}
function dbl(key: string, value: number): KeyValue {
  return { key, value: { doubleValue: value } };
}
