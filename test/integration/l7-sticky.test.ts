/**
 * Sticky sessions across two real Fulcrum processes sharing the pool's secret: the first response
 * sets a signed cookie, later requests carrying it land on the same backend through either node,
 * and a tampered cookie or one naming a disabled backend is re-pinned with a fresh cookie. Every
 * case runs over HTTP/1.1 and over HTTP/2 (whose clients send each cookie crumb as its own field).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, startNode, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";
import { CODECS, closeCodecs, type Codec } from "./helpers/codecs.ts";

const bs: Backend[] = [];
let a: L7Node;
let b: L7Node;
const COOKIE = "fc_app";

beforeAll(async () => {
  // Each backend also sets a cookie of its own (both Set-Cookie lines must reach the client) and
  // fails with 503 when asked to (x-fail), for the retry case.
  for (let i = 0; i < 3; i++) {
    bs.push(backend(`b${i}`, (req) => {
      const failing = req.headers.get("x-fail") === `b${i}`;
      return new Response(failing ? "down" : "ok", { status: failing ? 503 : 200, headers: { "set-cookie": `app=b${i}; Path=/` } });
    }));
  }
  const config = {
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
      routes: [{ name: "retry", match: { path_prefix: "/retry" }, retries: { attempts: 1, on: ["503"] } }],
    }],
    pools: [{
      name: "app", algorithm: "round_robin",
      sticky: { cookie: COOKIE, ttl_s: 600, secret: "a-shared-secret-of-at-least-32-characters" },
      backends: bs.map((x) => ({ address: x.address })),
    }],
  };
  [a, b] = await Promise.all([startNode(config), startNode(config)]);
});

afterAll(async () => {
  closeCodecs();
  await killAll();
  removeTempDirs();
  bs.forEach((x) => x.stop());
});

/** The value of our cookie in a response's Set-Cookie, or null. */
function pinned(res: Response): string | null {
  for (const line of res.headers.getSetCookie()) {
    if (line.startsWith(`${COOKIE}=`)) return line.slice(COOKIE.length + 1).split(";")[0]!;
  }
  return null;
}

let codec: Codec = CODECS[0]!;

async function get(node: L7Node, cookie?: string, path = "/", extra: Record<string, string> = {}): Promise<{ backend: string; set: string | null; res: Response }> {
  const res = await codec.call(node.port("web"), path, { headers: { ...extra, ...(cookie ? { cookie: `other=1; ${COOKIE}=${cookie}` } : {}) } });
  await res.text();
  expect(res.status).toBe(200);
  return { backend: res.headers.get("x-backend")!, set: pinned(res), res };
}

for (const c of CODECS) {
  describe(`sticky sessions across two nodes over ${c.name}`, () => {
    beforeAll(() => {
      codec = c;
    });

    test("the first response sets the cookie and every later request on either node lands on that backend", async () => {
      const landed = new Set<string>();
      for (let client = 0; client < 3; client++) {
        const first = await get(a);
        expect(first.set).not.toBeNull();
        expect(first.res.headers.getSetCookie().find((l) => l.startsWith(COOKIE))).toMatch(/Max-Age=600; HttpOnly/);
        expect(first.res.headers.getSetCookie()).toContain(`app=${first.backend}; Path=/`);
        landed.add(first.backend);
        for (let i = 0; i < 8; i++) {
          const next = await get(i % 2 === 0 ? b : a, first.set!);
          expect(next.backend).toBe(first.backend);
          expect(next.set).toBeNull();
        }
      }
      // Round robin pins three fresh clients to three different backends.
      expect(landed.size).toBe(3);
    });

    test("a tampered cookie is ignored and the client is re-pinned with a valid one", async () => {
      const first = await get(b);
      const raw = Buffer.from(first.set!, "base64url");
      const victim = bs.find((x) => x.name !== first.backend)!;
      // Keep the tag, swap the backend key: a forgery the HMAC must reject.
      const forged = Buffer.concat([raw.subarray(0, 21), Buffer.from(victim.address)]).toString("base64url");
      const seenBackends = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const r = await get(i % 2 ? a : b, forged);
        expect(r.set).not.toBeNull();
        seenBackends.add(r.backend);
        const again = await get(i % 2 ? b : a, r.set!);
        expect(again.backend).toBe(r.backend);
      }
      // Re-pinning follows round robin, not the forged name.
      expect(seenBackends.size).toBeGreaterThan(1);
    });

    test("a pinned request retried on another backend is re-pinned where it landed", async () => {
      const first = await get(a, undefined, "/retry");
      const r = await get(b, first.set!, "/retry", { "x-fail": first.backend });
      expect(r.backend).not.toBe(first.backend);
      expect(r.set).not.toBeNull();
      expect((await get(a, r.set!, "/retry")).backend).toBe(r.backend);
    });

    test("a cookie naming a disabled backend re-pins to a usable one on that node", async () => {
      const first = await get(a);
      const name = first.backend;
      const addr = bs.find((x) => x.name === name)!.address;
      const patch = await fetch(`${a.node.url}/v1/pools/app/backends/${encodeURIComponent(addr)}`, {
        method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ state: "disabled" }),
      });
      expect(patch.status).toBe(200);
      try {
        const deadline = Date.now() + 3000;
        let r = await get(a, first.set!);
        while (r.backend === name && Date.now() < deadline) {
          await Bun.sleep(20);
          r = await get(a, first.set!);
        }
        expect(r.backend).not.toBe(name);
        expect(r.set).not.toBeNull();
        expect((await get(a, r.set!)).backend).toBe(r.backend);
        // The other node still has it enabled and honours the original cookie.
        expect((await get(b, first.set!)).backend).toBe(name);
      } finally {
        await fetch(`${a.node.url}/v1/pools/app/backends/${encodeURIComponent(addr)}`, {
          method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ state: "active" }),
        });
      }
    });
  });
}
