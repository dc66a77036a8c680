/**
 * Issue 14: what is per node stays per node with several workers. One real node per worker count
 * (2 and 4); every request goes over a fresh connection, so the kernel spreads them over the
 * workers (each test checks that more than one worker served). A pool's max_requests,
 * max_connections and max_pending_requests hold for the node; least_connections and power_of_two
 * see the node's load (a backend holding one long request gets no other); a client's rate limit
 * is the node's; round robin goes round the node as one; hashing and sticky picks are the same in
 * every worker.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { rawGet, type RawResponse } from "./helpers-resilience/raw-get.ts";
import { backend, metric, removeTempDirs, startNode, type Backend, type L7Node } from "./helpers/l7-node.ts";
import { rawBackend, type RawBackend } from "./helpers/raw-backend.ts";

/** Per worker index, the requests it served (fulcrum_worker_requests_total). */
export function workerRequests(metrics: string): number[] {
  return [...metrics.matchAll(/^fulcrum_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
}

/** How many workers served any of the requests made between two readings. */
function workersBetween(before: number[], after: number[]): number {
  return after.filter((v, i) => v > (before[i] ?? 0)).length;
}

const tagged = (names: string[]) => names.map((n) => backend(n));

for (const workers of [2, 4]) {
  describe(`${workers} workers`, () => {
    const raws: RawBackend[] = [];
    let fast: Backend[] = [];
    let n: L7Node;
    let lcSlow: RawBackend, lcFast: RawBackend, p2Slow: RawBackend, p2Fast: RawBackend, capReq: RawBackend, capConn: RawBackend;

    beforeAll(async () => {
      const raw = (delay: number) => {
        const b = rawBackend("slow", delay);
        raws.push(b);
        return b;
      };
      [capReq, capConn, lcSlow, lcFast, p2Slow, p2Fast] = [raw(600), raw(500), raw(2500), raw(0), raw(2500), raw(0)];
      fast = tagged(["h0", "h1", "h2", "s0", "s1", "s2", "ok", "r0", "r1", "r2"]);
      const listener = (name: string, extra = {}) => ({ name, protocol: "http", address: "127.0.0.1:0", pool: name, ...extra });
      const pool = (name: string, bs: { address: string }[], extra = {}) => ({ name, ...extra, backends: bs.map((b) => ({ address: b.address })) });
      n = await startNode({
        listeners: [
          listener("capreq"), listener("capconn"), listener("lc"), listener("p2c"), listener("hash"), listener("sticky"), listener("rr"),
          { ...listener("limited"), pool: "ok", rate_limit: { rps: 0.01, burst: 10 } },
        ],
        pools: [
          pool("capreq", [capReq], { circuit_breaker: { max_requests: 3 } }),
          pool("capconn", [capConn], { connect_timeout_ms: 5000, circuit_breaker: { max_connections: 2, max_pending_requests: 2 } }),
          pool("lc", [lcSlow, lcFast], { algorithm: "least_connections" }),
          pool("p2c", [p2Slow, p2Fast], { algorithm: "power_of_two" }),
          pool("hash", fast.slice(0, 3), { algorithm: "maglev", hash_on: "header:x-user" }),
          pool("sticky", fast.slice(3, 6), { sticky: { cookie: "fc", secret: "a-secret-of-at-least-32-characters!!" } }),
          pool("ok", fast.slice(6, 7)),
          pool("rr", fast.slice(7, 10)),
        ],
      }, undefined, ["--workers", String(workers)]);
    }, 30_000);

    afterAll(async () => {
      await killAll();
      for (const b of [...raws, ...fast]) b.stop();
      removeTempDirs();
    });

    /** `count` GETs at once, each on its own connection; with the workers that served them. */
    async function burst(listener: string, count: number, path = "/"): Promise<{ results: RawResponse[]; spread: number }> {
      const before = workerRequests(await n.metrics());
      const results = await Promise.all(Array.from({ length: count }, () => rawGet(n.port(listener), path, "127.0.0.1", 8000)));
      return { results, spread: workersBetween(before, workerRequests(await n.metrics())) };
    }

    test("max_requests 3: of 12 requests at once, exactly 3 reach the backend, 9 are refused", async () => {
      const { results, spread } = await burst("capreq", 12);
      expect(spread).toBeGreaterThan(1);
      expect(results.filter((r) => r.status === 200).length).toBe(3);
      const refused = results.filter((r) => r.status === 503);
      expect(refused.length).toBe(9);
      expect(refused.every((r) => r.headers["x-fulcrum-error"] === "OVERFLOW")).toBe(true);
      expect(capReq.maxInFlight).toBe(3);
    });

    test("max_connections 2, max_pending_requests 2: of 12 at once, 8 are refused, the rest served 2 at a time", async () => {
      const { results, spread } = await burst("capconn", 12);
      expect(spread).toBeGreaterThan(1);
      expect(results.filter((r) => r.status === 503 && r.headers["x-fulcrum-error"] === "OVERFLOW").length).toBe(8);
      expect(results.filter((r) => r.status === 200).length).toBe(4);
      expect(capConn.maxInFlight).toBe(2);
      expect(capConn.requests).toBe(4);
      // The shared gauges read the node's value in every worker: /metrics shows it once, not summed.
      const m = await n.metrics();
      expect(metric(m, 'fulcrum_pool_upstream_connections{pool="capconn"}')).toBeLessThanOrEqual(2);
      expect(metric(m, 'fulcrum_pool_pending_requests{pool="capconn"}')).toBe(0);
      expect(metric(m, `fulcrum_backend_healthy{pool="capconn",backend="${capConn.address}"}`)).toBe(1);
      expect(metric(m, 'fulcrum_listener_bound{listener="capconn"}')).toBe(1);
    });

    for (const [name, slow, fastOne] of [["lc", () => lcSlow, () => lcFast], ["p2c", () => p2Slow, () => p2Fast]] as const) {
      test(`${name === "lc" ? "least_connections" : "power_of_two"} reads the node's load: a backend busy with one long request gets no other`, async () => {
        const before = workerRequests(await n.metrics());
        // One at a time, each on a new connection (so on any worker), the next once the last is
        // answered (or, for the one the slow backend holds, after 300 ms): once the slow backend
        // holds one, the node's load says it is busier than the idle fast one, whichever worker picks.
        const pending: Promise<RawResponse>[] = [];
        for (let i = 0; i < 30 && slow().requests <= 1; i++) {
          const r = rawGet(n.port(name), "/", "127.0.0.1", 8000);
          pending.push(r);
          await Promise.race([r, Bun.sleep(300)]);
        }
        expect(workersBetween(before, workerRequests(await n.metrics()))).toBeGreaterThan(1);
        expect(slow().requests).toBe(1);
        expect(fastOne().requests).toBe(29);
        await Promise.allSettled(pending);
      }, 15_000);
    }

    test("a rate limit of burst 10 is the client's for the node: 10 of 40 pass, not 10 per worker", async () => {
      const { results, spread } = await burst("limited", 40);
      expect(spread).toBeGreaterThan(1);
      expect(results.filter((r) => r.status === 200).length).toBe(10);
      expect(results.filter((r) => r.status === 429).length).toBe(30);
    });

    test("round robin goes round the node as one: 30 requests on 30 connections, 10 per backend", async () => {
      const before = workerRequests(await n.metrics());
      const counts = new Map<string, number>();
      for (let i = 0; i < 30; i++) {
        const res = await fetch(`http://127.0.0.1:${n.port("rr")}/`, { headers: { connection: "close" } });
        const tag = res.headers.get("x-backend")!;
        counts.set(tag, (counts.get(tag) ?? 0) + 1);
        await res.arrayBuffer();
      }
      expect(workersBetween(before, workerRequests(await n.metrics()))).toBeGreaterThan(1);
      expect([...counts.entries()].sort()).toEqual([["r0", 10], ["r1", 10], ["r2", 10]]);
    });

    test("hashing and sticky picks are the same in every worker", async () => {
      const users = ["alice", "bob", "carol", "dave"];
      for (const user of users) {
        const seen = new Set<string>();
        for (let i = 0; i < 12; i++) {
          const res = await fetch(`http://127.0.0.1:${n.port("hash")}/`, { headers: { "x-user": user, connection: "close" } });
          seen.add(res.headers.get("x-backend") ?? "?");
          await res.arrayBuffer();
        }
        expect(seen.size).toBe(1);
      }
      const first = await fetch(`http://127.0.0.1:${n.port("sticky")}/`, { headers: { connection: "close" } });
      const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
      const home = first.headers.get("x-backend");
      await first.arrayBuffer();
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`http://127.0.0.1:${n.port("sticky")}/`, { headers: { cookie, connection: "close" } });
        expect(res.headers.get("x-backend")).toBe(home);
        await res.arrayBuffer();
      }
    });
  });
}
