/** Spans encoded as OTLP/HTTP JSON conform to the protocol's JSON encoding (test/helpers/otlp-schema.ts); the checker itself refuses what is wrong. */
import { describe, expect, test } from "bun:test";
import { encodeTraces, nanos, type SpanRecord } from "../../src/tracing/index.ts";
import { otlpTraceProblems } from "../helpers/otlp-schema.ts";

const origin = { serviceName: "edge", serviceVersion: "1.2.3", instanceId: "host:1", hostName: "host" };

function span(extra: Partial<SpanRecord> = {}): SpanRecord {
  const t = 1_700_000_000_123.456;
  return {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: "", traceState: "", flags: 1,
    startMs: t, upstreamStartMs: t + 1, responseStartMs: t + 3.5, endMs: t + 4, method: "GET", scheme: "http",
    host: "api.example.com:8080", path: "/v1/x", query: "a=1", clientAddress: "127.0.0.1", userAgent: "curl/8", protocolVersion: "1.1",
    status: 200, listener: "web", route: "api", pool: "app", backend: "10.0.0.1:80", retries: 0, bytesIn: 0, bytesOut: 12, errorCode: "",
    ...extra,
  };
}

function attrs(s: any): Record<string, unknown> {
  return Object.fromEntries(s.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
}

describe("OTLP JSON", () => {
  test("a batch conforms, with the resource, the scope, and a server span per request", () => {
    const body = JSON.parse(encodeTraces([span(), span({ spanId: "00f067aa0ba902b8", parentSpanId: "1111111111111111", traceState: "a=1,b=2", status: 502, errorCode: "UPSTREAM_RESET", retries: 1, route: "" })], origin));
    expect(otlpTraceProblems(body)).toEqual([]);
    const rs = body.resourceSpans[0];
    expect(attrs(rs.resource)).toMatchObject({ "service.name": "edge", "service.version": "1.2.3", "service.instance.id": "host:1" });
    expect(rs.scopeSpans[0].scope).toEqual({ name: "fulcrum", version: "1.2.3" });
    const [ok, failed] = rs.scopeSpans[0].spans;
    expect(ok).toMatchObject({ name: "GET api", kind: 2, flags: 0x101, startTimeUnixNano: "1700000000123456000", endTimeUnixNano: "1700000000127456000", status: {} });
    expect(ok.parentSpanId).toBeUndefined();
    expect(attrs(ok)).toMatchObject({
      "http.request.method": "GET", "url.scheme": "http", "url.path": "/v1/x", "url.query": "a=1", "server.address": "api.example.com",
      "server.port": "8080", "client.address": "127.0.0.1", "user_agent.original": "curl/8", "http.response.status_code": "200",
      "network.protocol.version": "1.1", "fulcrum.route": "api", "fulcrum.pool": "app", "fulcrum.backend": "10.0.0.1:80",
      "fulcrum.retries": "0", "fulcrum.upstream.latency_ms": 2.5,
    });
    expect(ok.events.map((e: any) => e.name)).toEqual(["upstream request sent", "upstream response head received"]);
    expect(failed).toMatchObject({ name: "GET", parentSpanId: "1111111111111111", traceState: "a=1,b=2", flags: 0x301, status: { code: 2, message: "UPSTREAM_RESET" } });
    expect(attrs(failed)).toMatchObject({ "error.type": "UPSTREAM_RESET", "http.request.resend_count": "1" });
  });

  test("nanoseconds are exact decimal strings", () => {
    expect(nanos(1_700_000_000_000)).toBe("1700000000000000000");
    expect(nanos(1_700_000_000_000.001)).toBe("1700000000000001000");
  });

  test("the checker refuses what the OTLP JSON encoding forbids", () => {
    const good = JSON.parse(encodeTraces([span()], origin));
    const broken = (edit: (s: any) => void) => {
      const copy = structuredClone(good);
      edit(copy.resourceSpans[0].scopeSpans[0].spans[0]);
      return otlpTraceProblems(copy);
    };
    expect(broken((s) => (s.startTimeUnixNano = 1700000000123456000))).toHaveLength(2); // a number, so also no start time
    expect(broken((s) => (s.kind = "SPAN_KIND_SERVER"))[0]).toContain("enum");
    expect(broken((s) => (s.traceId = Buffer.from(s.traceId, "hex").toString("base64")))[0]).toContain("hex");
    expect(broken((s) => ((s.trace_id = s.traceId), delete s.traceId))).toContain("$.resourceSpans[0].scopeSpans[0].spans[0].trace_id: not a field of Span (keys are lowerCamelCase)");
    expect(broken((s) => (s.attributes[0].value = { stringValue: "x", intValue: "1" }))[0]).toContain("exactly one");
    expect(broken((s) => (s.attributes[0].value = { intValue: 5 }))[0]).toContain("decimal strings");
    expect(broken((s) => (s.spanId = "0000000000000000"))[0]).toContain("not all zeros");
  });
});
