/**
 * Issue 7, L7 circuit breaking per pool end to end, as Envoy defines it: max_connections caps the
 * upstream connections the node holds to a pool's backends (idle and busy), a request that finds
 * none free waits (FIFO, at most max_pending_requests of them, each at most connect_timeout_ms),
 * and one more is refused at once with 503 OVERFLOW. Backends are raw sockets that count how many
 * connections they have open at once. Run over HTTP/1.1 (a connection per request) and over HTTP/2
 * (the requests as streams of one connection), each against a node of its own. One worker: a
 * waiting request takes over the connection another request let go of, which only happens within
 * a thread (workers-limits.test.ts holds the same caps across workers).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { rawGet } from "./helpers-resilience/raw-get.ts";
import { metric, startNode, removeTempDirs, tempDir, until, type L7Node } from "./helpers/l7-node.ts";
import { rawBackend, type RawBackend } from "./helpers/raw-backend.ts";
import { CODECS, closeCodecs, type Codec } from "./helpers/codecs.ts";
import { h2Connect } from "./helpers/h2-call.ts";

const SLOW_MS = 600;

afterAll(async () => {
  closeCodecs();
  await killAll();
  removeTempDirs();
});

for (const codec of CODECS) describe(`circuit breaking over ${codec.name}`, () => {
  const dir = tempDir();
  const LOG = join(dir, "access.log");
  let slow: RawBackend, closer: RawBackend, stuck: RawBackend;
  let n: L7Node;

  beforeAll(async () => {
    slow = rawBackend("slow", SLOW_MS);
    closer = rawBackend("slow", 150);
    closer.closeAfter = true;
    stuck = rawBackend("slow", 1500);
    const listener = (name: string) => ({ name, protocol: "http", address: "127.0.0.1:0", pool: name, access_log: LOG });
    n = await startNode({
      listeners: [listener("capped"), listener("closer"), listener("patience")],
      pools: [
        { name: "capped", circuit_breaker: { max_connections: 2, max_pending_requests: 1 }, backends: [{ address: slow.address }] },
        { name: "closer", circuit_breaker: { max_connections: 1, max_pending_requests: 2 }, backends: [{ address: closer.address }] },
        {
          name: "patience", connect_timeout_ms: 300, circuit_breaker: { max_connections: 1, max_pending_requests: 4 },
          backends: [{ address: stuck.address }],
        },
      ],
    }, dir, ["--workers", "1"]);
  });

  afterAll(() => {
    for (const b of [slow, closer, stuck]) b?.stop();
  });

  /** `count` GETs at once (HTTP/1.1: each on a fresh connection; HTTP/2: streams of one), each with its time to completion. */
  async function burst(port: number, count: number) {
    if (codec.name === "HTTP/2") await h2Connect(port);
    const t0 = performance.now();
    return await Promise.all(Array.from({ length: count }, async () => {
      const r = await get(codec, port);
      return { ...r, ms: performance.now() - t0 };
    }));
  }

  function logLines(): Record<string, any>[] {
    try {
      return readFileSync(LOG, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
    } catch {
      return []; // not written yet
    }
  }

  test("max_connections 2, max_pending_requests 1, 4 concurrent: 2 served, 1 waits then is served, 1 refused at once", async () => {
    const results = (await burst(n.port("capped"), 4)).sort((a, b) => a.ms - b.ms);
    const refused = results.filter((r) => r.status === 503);
    const served = results.filter((r) => r.status === 200);
    expect(refused.length).toBe(1);
    expect(served.length).toBe(3);
    expect(refused[0]!.headers["x-fulcrum-error"]).toBe("OVERFLOW");
    expect(refused[0]!.ms).toBeLessThan(SLOW_MS / 2); // no wait for the refusal
    // two at once, the third only after one of them gave its connection back
    expect(served[0]!.ms).toBeGreaterThanOrEqual(SLOW_MS - 20);
    expect(served[1]!.ms).toBeLessThan(2 * SLOW_MS - 50);
    expect(served[2]!.ms).toBeGreaterThanOrEqual(2 * SLOW_MS - 20);
    // the backend never saw more than two connections, and the waiting request reused one of them
    expect(slow.maxOpen).toBe(2);
    expect(slow.accepted).toBe(2);
    expect(slow.requests).toBe(3);
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_pool_overflows_total{pool="capped",kind="pending"}')).toBe(1);
    expect(metric(m, 'fulcrum_pool_overflows_total{pool="capped",kind="connections"}')).toBe(2);
    expect(metric(m, 'fulcrum_pool_upstream_connections{pool="capped"}')).toBe(2); // both idle now, still held
    expect(metric(m, 'fulcrum_pool_pending_requests{pool="capped"}')).toBe(0);
    await until(() => logLines().filter((l) => l.listener === "capped").length >= 4); // the log is flushed in batches
    const line = logLines().find((l) => l.listener === "capped" && l.status === 503)!;
    expect(line.error).toBe("OVERFLOW");
    expect(logLines().filter((l) => l.listener === "capped" && l.status === 200).length).toBe(3);
  }, 10_000);

  test("a waiting request gets the slot of a connection the backend closed", async () => {
    const results = await burst(n.port("closer"), 3);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(closer.maxOpen).toBe(1);
    expect(closer.accepted).toBe(3);
    const times = results.map((r) => r.ms).sort((a, b) => a - b);
    expect(times[2]!).toBeGreaterThanOrEqual(3 * 150 - 20); // one after the other
  }, 10_000);

  test("a request waiting longer than connect_timeout_ms fails with 503 OVERFLOW and is never sent", async () => {
    const results = (await burst(n.port("patience"), 2)).sort((a, b) => a.ms - b.ms);
    expect(results[0]!.status).toBe(503);
    expect(results[0]!.headers["x-fulcrum-error"]).toBe("OVERFLOW");
    expect(results[0]!.ms).toBeGreaterThanOrEqual(280);
    expect(results[0]!.ms).toBeLessThan(1000);
    expect(results[1]!.status).toBe(200);
    expect(stuck.requests).toBe(1);
    expect(stuck.maxOpen).toBe(1);
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_pool_overflows_total{pool="patience",kind="pending_timeout"}')).toBe(1);
    expect(metric(m, 'fulcrum_pool_pending_requests{pool="patience"}')).toBe(0);
  }, 10_000);
});

async function get(codec: Codec, port: number): Promise<{ status: number; headers: Record<string, string> }> {
  if (codec.name === "HTTP/1.1") return await rawGet(port, "/", "127.0.0.1", 5000);
  const res = await codec.call(port, "/");
  await res.arrayBuffer();
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()) };
}
