/**
 * W3C Trace Context and OTLP export, end to end: a real node, curl and fetch as clients, echo
 * backends that show what arrived, and a small OTLP/HTTP receiver whose payloads are checked
 * against the OTLP JSON encoding. An incoming traceparent is continued with a new span id and
 * its tracestate kept; a missing or malformed one starts a trace sampled at the route's rate;
 * the trace id is in the access log; an endpoint that refuses is counted and logged, never a
 * failed request; a listener without tracing passes trace headers through untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "bun";
import { killAll } from "../helpers/process.ts";
import { otlpTraceProblems } from "../helpers/otlp-schema.ts";
import { backend, call, deadAddress, metric, removeTempDirs, seen, startNode, tempDir, until, type Backend, type L7Node } from "./helpers/l7-node.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const P = "00f067aa0ba902b7";

let node: L7Node;
let app: Backend;
let receiver: Server<unknown>;
const bodies: any[] = [];
const paths: string[] = [];
let refusedEndpoint: string;
let logFile: string;
let pickedLog: string;

/** Every span the receiver got so far. */
function spans(): any[] {
  return bodies.flatMap((b) => b.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)));
}

function attrs(s: any): Record<string, unknown> {
  return Object.fromEntries(s.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
}

async function spanOf(traceId: string): Promise<any> {
  await until(() => spans().some((s) => s.traceId === traceId), 5000);
  return spans().find((s) => s.traceId === traceId);
}

async function curlJson(port: number, path: string, headers: string[]): Promise<any> {
  const args = ["curl", "-s", "--max-time", "5", ...headers.flatMap((h) => ["-H", h]), `http://127.0.0.1:${port}${path}`];
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  return JSON.parse(out);
}

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      paths.push(new URL(req.url).pathname);
      bodies.push(await req.json());
      return Response.json({});
    },
  });
  app = backend("app");
  refusedEndpoint = `http://${deadAddress()}/v1/traces`;
  const dir = tempDir();
  logFile = join(dir, "access.log");
  pickedLog = join(dir, "picked.log");
  node = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: logFile,
        tracing: { sample_rate: 1, otlp_endpoint: `http://127.0.0.1:${receiver.port}`, service_name: "edge" },
        routes: [
          { name: "quiet", match: { path_prefix: "/quiet" }, tracing: { sample_rate: 0 } },
          { name: "retry", match: { path_prefix: "/retry" }, pool: "flaky", retries: { attempts: 1, on: ["connect_failure"] } },
          { name: "api", match: { path_prefix: "/" } },
        ],
      },
      { name: "refused", protocol: "http", address: "127.0.0.1:0", pool: "app", tracing: { otlp_endpoint: refusedEndpoint } },
      { name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "app" },
      {
        name: "picked", protocol: "http", address: "127.0.0.1:0", pool: "app", tracing: { sample_rate: 0 },
        access_log: { path: pickedLog, format: "text", fields: ["trace_id", "request_id", "status"] },
      },
    ],
    pools: [
      { name: "app", backends: [{ address: app.address }] },
      { name: "flaky", backends: [{ address: deadAddress() }, { address: app.address }] },
    ],
  }, dir);
});

afterAll(async () => {
  await killAll();
  receiver?.stop(true);
  app?.stop();
  removeTempDirs();
});

describe("tracing through a node", () => {
  test("an incoming traceparent is continued: same trace, a new span id upstream, tracestate kept; its span conforms to OTLP JSON", async () => {
    const got = await curlJson(node.port("web"), "/orders?id=7", [`traceparent: 00-${T}-${P}-01`, "tracestate: vendor=abc,other=1"]);
    const [version, trace, parent, flags] = got.headers.traceparent.split("-");
    expect([version, trace, flags]).toEqual(["00", T, "01"]);
    expect(parent).toMatch(/^[0-9a-f]{16}$/);
    expect(parent).not.toBe(P);
    expect(got.headers.tracestate).toBe("vendor=abc,other=1");
    const s = await spanOf(T);
    expect(s).toMatchObject({ spanId: parent, parentSpanId: P, traceState: "vendor=abc,other=1", kind: 2, name: "GET api", flags: 0x301 });
    expect(attrs(s)).toMatchObject({
      "http.request.method": "GET", "url.path": "/orders", "url.query": "id=7", "http.response.status_code": "200",
      "fulcrum.listener": "web", "fulcrum.route": "api", "fulcrum.pool": "app", "fulcrum.backend": app.address, "fulcrum.retries": "0",
    });
    expect(typeof attrs(s)["fulcrum.upstream.latency_ms"]).toBe("number");
    for (const b of bodies) expect(otlpTraceProblems(b)).toEqual([]);
    expect(paths.every((p) => p === "/v1/traces")).toBe(true);
    expect(attrs(bodies[0].resourceSpans[0].resource)["service.name"]).toBe("edge");
  });

  test("without a traceparent a sampled trace starts here; a malformed one is absent, and its tracestate goes with it", async () => {
    const fresh = await seen(await call(node.port("web"), "/new"));
    const [, trace, span, flags] = fresh.headers.traceparent!.split("-");
    expect(flags).toBe("01");
    const s = await spanOf(trace!);
    expect(s.spanId).toBe(span);
    expect(s.parentSpanId).toBeUndefined();
    for (const bad of [`00-${T.toUpperCase()}-${P}-01`, `00-${"0".repeat(32)}-${P}-01`, `ff-${T}-${P}-01`, `00-${T}-${P}-01-x`]) {
      const res = await seen(await call(node.port("web"), "/bad", { headers: { traceparent: bad, tracestate: "vendor=abc" } }));
      expect(res.headers.traceparent!.split("-")[1]).not.toBe(T);
      expect(res.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(res.headers.tracestate).toBeUndefined();
    }
    const twice = await curlJson(node.port("web"), "/dup", [`traceparent: 00-${T}-${P}-01`, `traceparent: 00-${T}-${P}-01`]);
    expect(twice.headers.traceparent.split("-")[1]).not.toBe(T);
  });

  test("a route's sample rate decides new traces; an incoming sampled decision is kept", async () => {
    const quiet = await seen(await call(node.port("web"), "/quiet"));
    const [, trace, , flags] = quiet.headers.traceparent!.split("-");
    expect(flags).toBe("00");
    const continued = await seen(await call(node.port("web"), "/quiet/x", { headers: { traceparent: `00-${"1".repeat(32)}-${P}-01` } }));
    expect(continued.headers.traceparent!.endsWith("-01")).toBe(true);
    await spanOf("1".repeat(32));
    expect(spans().some((s) => s.traceId === trace)).toBe(false);
  });

  test("the trace id is in the access log beside the request id", async () => {
    const got = await seen(await call(node.port("web"), "/logged", { headers: { "x-request-id": "req-42" } }));
    const trace = got.headers.traceparent!.split("-")[1];
    await until(() => readFileSync(logFile, "utf8").includes("req-42"), 3000);
    const line = JSON.parse(readFileSync(logFile, "utf8").trim().split("\n").find((l) => l.includes("req-42"))!);
    expect(line).toMatchObject({ request_id: "req-42", trace_id: trace, path: "/logged" });
  });

  test("trace_id is a field an access log can choose (here with an unsampled trace continued)", async () => {
    const traced = "5".repeat(32);
    await seen(await call(node.port("picked"), "/a", { headers: { traceparent: `00-${traced}-${P}-00`, "x-request-id": "picked-1" } }));
    await until(() => existsSync(pickedLog) && readFileSync(pickedLog, "utf8").includes("picked-1"), 3000);
    expect(readFileSync(pickedLog, "utf8")).toBe(`${traced} picked-1 200\n`);
  });

  test("a retried request's span counts the retry and names the backend that answered", async () => {
    let retried: any;
    for (let i = 0; i < 4 && !retried; i++) {
      const got = await seen(await call(node.port("web"), "/retry"));
      const s = await spanOf(got.headers.traceparent!.split("-")[1]!);
      if (attrs(s)["http.request.resend_count"] === "1") retried = s;
    }
    expect(retried).toBeDefined();
    expect(attrs(retried)).toMatchObject({ "fulcrum.route": "retry", "fulcrum.pool": "flaky", "fulcrum.backend": app.address, "fulcrum.retries": "1" });
  });

  test("an OTLP endpoint that refuses is logged and counted; requests are served as ever", async () => {
    for (let i = 0; i < 3; i++) expect((await call(node.port("refused"), "/")).status).toBe(200);
    await until(async () => metric(await node.metrics(), `fulcrum_tracing_export_failures_total{endpoint="${refusedEndpoint}"}`) >= 1, 5000);
    const m = await node.metrics();
    expect(metric(m, `fulcrum_tracing_spans_dropped_total{endpoint="${refusedEndpoint}",reason="export_failed"}`)).toBe(3);
    expect(metric(m, `fulcrum_tracing_spans_exported_total{endpoint="http://127.0.0.1:${receiver.port}/v1/traces"}`)).toBeGreaterThan(0);
    expect(node.node.stdout()).toContain(`tracing: export of 3 spans failed, dropped`);
  });

  test("a listener without tracing passes the client's trace headers through untouched", async () => {
    const got = await seen(await call(node.port("plain"), "/", { headers: { traceparent: `00-${T}-${P}-01`, tracestate: "k=v" } }));
    expect(got.headers.traceparent).toBe(`00-${T}-${P}-01`);
    expect(got.headers.tracestate).toBe("k=v");
  });
});
