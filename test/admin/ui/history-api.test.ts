/**
 * GET /v1/stats/history on a real node: known traffic in (20 × 200 and 5 × 503 through a route, a
 * tcp connection), the same numbers out per listener, route, pool and backend within a few
 * samples; the query parameters are checked (an unknown one is a 400, so a typo never widens a
 * query), and unknown listeners and pools are 404.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../../helpers/process.ts";
import { backend, call, removeTempDirs, startNode, until, type Backend, type L7Node } from "../../integration/helpers/l7-node.ts";

let ok: Backend;
let failing: Backend;
let n: L7Node;

const history = async (query = "") => {
  const res = await fetch(`${n.node.url}/v1/stats/history${query}`);
  return { status: res.status, body: (await res.json()) as any };
};
const sum = (xs: (number | null)[] = []) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
const series = (body: any, scope: string, name: string) => body.series.find((s: any) => s.scope === scope && s.name === name);

beforeAll(async () => {
  ok = backend("ok", async () => {
    await Bun.sleep(15);
    return new Response("fine");
  });
  failing = backend("failing", () => new Response("busy", { status: 503 }));
  n = await startNode({
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "fallback",
        routes: [{ name: "api", match: { path_prefix: "/api" }, pool: "app" }, { name: "bad", match: { path_prefix: "/bad" }, pool: "fallback" }] },
      { name: "raw", protocol: "tcp", address: "127.0.0.1:0", pool: "app" },
    ],
    pools: [
      { name: "app", backends: [{ address: ok.address }] },
      { name: "fallback", backends: [{ address: failing.address }] },
    ],
  });
});

afterAll(async () => {
  await killAll();
  ok?.stop();
  failing?.stop();
  removeTempDirs();
});

describe("GET /v1/stats/history", () => {
  test("per-second samples add up to the traffic sent, per listener, route, pool and backend", async () => {
    const port = n.port("web");
    for (let i = 0; i < 20; i++) await (await call(port, "/api/x")).arrayBuffer();
    for (let i = 0; i < 5; i++) await (await call(port, "/bad")).arrayBuffer();
    const raw = await Bun.connect({ hostname: "127.0.0.1", port: n.port("raw"), socket: { data() {} } });
    let body: any;
    await until(async () => {
      body = (await history()).body;
      return sum(series(body, "listener", "web")?.requests) === 25 && sum(series(body, "backend", ok.address)?.requests) === 21;
    }, 6000);
    expect(body.interval_ms).toBe(1000);
    expect(body.capacity).toBeGreaterThanOrEqual(300);
    for (const s of body.series) expect(s.requests.length).toBe(body.time.length);
    const web = series(body, "listener", "web");
    expect(sum(web.status_5xx)).toBe(5);
    expect(sum(web.rps)).toBeGreaterThan(0);
    const p50 = web.p50_ms.filter((v: number | null) => v !== null);
    expect(p50.length).toBeGreaterThan(0);
    const api = body.series.find((s: any) => s.scope === "route" && s.name === "api" && s.listener === "web");
    expect(sum(api.requests)).toBe(20);
    expect(Math.max(...api.p50_ms.filter((v: number | null) => v !== null))).toBeGreaterThan(10);
    expect(sum(series(body, "pool", "fallback").status_5xx)).toBe(5);
    // The backend counts what was sent to it: 20 requests and the tcp connection.
    expect(series(body, "backend", ok.address).pool).toBe("app");
    await until(async () => series((await history("?seconds=2")).body, "listener", "raw")?.active.at(-1) === 1, 4000);
    raw.end();
  });

  test("?seconds bounds the window; scope, listener and pool select series", async () => {
    await until(async () => (await history()).body.time.length >= 3, 5000);
    const two = (await history("?seconds=2")).body;
    expect(two.time.length).toBe(2);
    const names = (b: any) => b.series.map((s: any) => `${s.scope}:${s.name}`).sort();
    expect(names((await history("?scope=listener")).body)).toEqual(["listener:raw", "listener:web"]);
    expect(names((await history("?scope=pool,backend&pool=app")).body)).toEqual([`backend:${ok.address}`, "pool:app"]);
    expect(names((await history("?scope=route&scope=listener&listener=web")).body)).toEqual(["listener:web", "route:api", "route:bad"]);
  });

  test("bad queries are 400 naming the parameter; unknown listeners and pools are 404", async () => {
    for (const q of ["?seconds=0", "?seconds=abc", "?seconds=1.5", "?seconds=99999", "?scope=nodes", "?secs=5", "?seconds=5&seconds=6", "?listener="]) {
      const r = await history(q);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("INVALID_REQUEST");
    }
    expect((await history("?secs=5")).body.error.message).toContain("secs");
    expect((await history("?listener=nope")).body.error.code).toBe("LISTENER_NOT_FOUND");
    expect((await history("?pool=nope")).body.error.code).toBe("POOL_NOT_FOUND");
    const post = await fetch(`${n.node.url}/v1/stats/history`, { method: "POST" });
    expect(post.status).toBe(405);
  });
});
