/**
 * A route's own rate_limit on a real node: with `{ rps: 1, burst: 2 }` on one route, the third
 * quick request there gets 429 RATE_LIMITED with Retry-After (and never reaches the backend),
 * while a route without a limit on the same listener keeps answering 200; a token comes back
 * after about a second. Run over HTTP/1.1 and over HTTP/2, each on its own listener (buckets are
 * per listener and route, and both clients come from 127.0.0.1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, metric, removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";
import { CODECS, closeCodecs, type Codec } from "./helpers/codecs.ts";

const be = backend("rl");
let n: L7Node;
let port = 0;
let listener = "";
let codec: Codec = CODECS[0]!;
const LISTENERS = ["web1", "web2"];

beforeAll(async () => {
  n = await startNode({
    listeners: LISTENERS.map((name) => ({
      name, protocol: "http", address: "127.0.0.1:0", pool: "app",
      routes: [
        { name: "limited", match: { path_prefix: "/limited" }, pool: "app", rate_limit: { rps: 1, burst: 2 } },
        { name: "free", match: { path_prefix: "/free" }, pool: "app" },
      ],
    })),
    pools: [{ name: "app", backends: [{ address: be.address }] }],
  });
});

afterAll(async () => {
  closeCodecs();
  await killAll();
  removeTempDirs();
  be.stop();
});

/** GET `path`; returns status, the headers a limit sets, and the body. */
async function get(path: string): Promise<{ status: number; retryAfter: string | null; code: string | null; backend: string | null }> {
  const res = await codec.call(port, path);
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), code: res.headers.get("x-fulcrum-error"), backend: res.headers.get("x-backend") };
}

CODECS.forEach((c, i) => {
  describe(`route rate limits over ${c.name}`, () => {
    beforeAll(() => {
      codec = c;
      listener = LISTENERS[i]!;
      port = n.port(listener);
    });

    test("the third quick request on the limited route gets 429 RATE_LIMITED; the free route still answers", async () => {
      const hits = be.hits;
      const first = await get("/limited/1");
      const second = await get("/limited/2");
      const third = await get("/limited/3");
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(third.status).toBe(429);
      expect(third.code).toBe("RATE_LIMITED");
      expect(third.backend).toBeNull();
      const retryAfter = Number(third.retryAfter);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      // the refused request never reached the backend
      expect(be.hits).toBe(hits + 2);

      // the same client, same listener, a route with no limit: every request answered
      for (let i = 0; i < 8; i++) {
        const r = await get(`/free/${i}`);
        expect(r.status).toBe(200);
        expect(r.code).toBeNull();
      }
      // and the limited route is still limited after all that traffic elsewhere
      expect((await get("/limited/4")).status).toBe(429);
    });

    test("a token returns after about 1 s at rps 1", async () => {
      // drain whatever is left, then wait for one token (bounded)
      for (let i = 0; i < 5 && (await get("/limited/drain")).status === 200; i++);
      expect((await get("/limited/empty")).status).toBe(429);
      await Bun.sleep(1100);
      expect((await get("/limited/again")).status).toBe(200);
      expect((await get("/limited/again2")).status).toBe(429);
    });

    test("refusals are counted against the limited route in /metrics, none against the free one", async () => {
      const text = await n.metrics();
      const errors = (route: RegExp) =>
        text.split("\n").filter((l) => l.startsWith("fulcrum_route_http_errors_total{") && route.test(l) && l.includes('code="RATE_LIMITED"'));
      const limited = errors(new RegExp(`listener="${listener}",route="limited"`));
      expect(limited.length).toBe(1);
      expect(metric(text, limited[0]!.slice(0, limited[0]!.lastIndexOf(" ")))).toBeGreaterThanOrEqual(3);
      expect(errors(new RegExp(`listener="${listener}",route="free"`))).toEqual([]);
    });
  });
});
