/**
 * The span exporter against receivers on loopback: batches that conform to OTLP JSON, a bounded
 * queue under a collector that does not answer, and a refusing endpoint counted and logged, never
 * thrown.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { MAX_BATCH, MAX_QUEUE, SpanExporter, type SpanRecord } from "../../src/tracing/index.ts";
import { otlpTraceProblems } from "../helpers/otlp-schema.ts";

const origin = { serviceName: "fulcrum", serviceVersion: "0", instanceId: "t", hostName: "t" };
const servers: Server<unknown>[] = [];
afterAll(() => servers.forEach((s) => s.stop(true)));

function receiver(answer: (body: any) => Response | Promise<Response>): { url: string; bodies: any[] } {
  const bodies: any[] = [];
  const s = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.json();
      bodies.push(body);
      return answer(body);
    },
  });
  servers.push(s);
  return { url: `http://127.0.0.1:${s.port}/v1/traces`, bodies };
}

let n = 0;
function span(): SpanRecord {
  const id = (++n).toString(16).padStart(16, "0");
  const t = Date.now();
  return {
    traceId: `${"a".repeat(16)}${id}`, spanId: id, parentSpanId: "", traceState: "", flags: 1, startMs: t, upstreamStartMs: 0, responseStartMs: 0,
    endMs: t + 1, method: "GET", scheme: "http", host: "h", path: "/", query: "", clientAddress: "127.0.0.1", userAgent: "", protocolVersion: "1.1",
    status: 200, listener: "web", route: "", pool: "app", backend: "", retries: 0, bytesIn: 0, bytesOut: 0, errorCode: "",
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("SpanExporter", () => {
  test("a full batch leaves at once; the rest within the flush interval; every body conforms", async () => {
    const r = receiver(() => Response.json({}));
    const e = new SpanExporter(r.url, origin, () => {});
    for (let i = 0; i < MAX_BATCH + 3; i++) e.record(span());
    await until(() => e.counts.exported === MAX_BATCH + 3);
    expect(r.bodies.map((b) => b.resourceSpans[0].scopeSpans[0].spans.length)).toEqual([MAX_BATCH, 3]);
    for (const b of r.bodies) expect(otlpTraceProblems(b)).toEqual([]);
    await e.stop();
  });

  test("a collector that does not answer: the queue stays bounded, the excess and the timed-out batch are dropped and counted", async () => {
    const r = receiver(() => new Promise<Response>(() => {}));
    const lines: string[] = [];
    const e = new SpanExporter(r.url, origin, (l) => lines.push(l), { timeoutMs: 300 });
    for (let i = 0; i < MAX_QUEUE + 100; i++) e.record(span());
    expect(e.queued).toBe(MAX_QUEUE);
    expect(e.counts.dropped.queue_full).toBe(100);
    await until(() => e.counts.failedExports >= 1);
    expect(e.counts.dropped.export_failed).toBe(MAX_BATCH);
    expect(lines.join("\n")).toContain("dropping new ones");
    await e.stop();
  });

  test("a refusing endpoint or an error status is counted and logged, never thrown; partial success counts the rejected", async () => {
    const dead = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${dead.port}/v1/traces`;
    dead.stop(true);
    const lines: string[] = [];
    const refused = new SpanExporter(url, origin, (l) => lines.push(l));
    refused.record(span());
    await refused.stop();
    expect(refused.counts).toMatchObject({ exported: 0, failedExports: 1, dropped: { export_failed: 1 } });
    expect(lines[0]).toContain("tracing: export of 1 spans failed, dropped");

    const busy = receiver(() => new Response("overloaded", { status: 503 }));
    const e503 = new SpanExporter(busy.url, origin, () => {});
    e503.record(span());
    await e503.stop();
    expect(e503.counts.dropped.export_failed).toBe(1);

    const picky = receiver(() => Response.json({ partialSuccess: { rejectedSpans: "1", errorMessage: "no" } }));
    const partial = new SpanExporter(picky.url, origin, () => {});
    partial.record(span());
    partial.record(span());
    await partial.stop();
    expect(partial.counts).toMatchObject({ exported: 1, dropped: { rejected: 1 } });
  });
});
