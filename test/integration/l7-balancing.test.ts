/**
 * Every balancing algorithm's distribution through a real node: exact round robin, weighted
 * ratios, least connections and power of two steering away from a slow backend, random spread,
 * and consistent hashing per key (header, cookie, query, source address from distinct loopback IPs).
 * Every case but the source-address one (an HTTP/1.1 client bound to each IP) runs over HTTP/1.1
 * and over HTTP/2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import { killAll } from "../helpers/process.ts";
import { backend, spread, startNode, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";
import { CODECS, closeCodecs, type Codec } from "./helpers/codecs.ts";

const bs: Backend[] = [];
let n: L7Node;
let port = 0;

const POOLS: Record<string, Record<string, unknown>> = {
  rr: { algorithm: "round_robin" },
  wrr: { algorithm: "weighted_round_robin", weights: [1, 2, 3] },
  lc: { algorithm: "least_connections" },
  p2c: { algorithm: "power_of_two" },
  rnd: { algorithm: "random" },
  mg: { algorithm: "maglev", hash_on: "header:x-user", table_size: 1021 },
  ring: { algorithm: "ring_hash", hash_on: "cookie:sid" },
  mgq: { algorithm: "maglev", hash_on: "query:u", table_size: 1021 },
  mgip: { algorithm: "maglev", hash_on: "source_ip", table_size: 1021 },
  sip: { algorithm: "source_ip_hash", table_size: 1021 },
};

beforeAll(async () => {
  // b0 is slow on /slow (700 ms), so load-aware algorithms must avoid it while it is busy.
  for (let i = 0; i < 3; i++) {
    bs.push(backend(`b${i}`, async (req) => {
      if (i === 0 && new URL(req.url).pathname.endsWith("/slow")) await Bun.sleep(700);
      return new Response("ok");
    }));
  }
  n = await startNode({
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0",
      routes: Object.keys(POOLS).map((p) => ({ name: p, match: { path_prefix: `/${p}` }, pool: p })),
    }],
    pools: Object.entries(POOLS).map(([name, { weights, ...rest }]) => ({
      name, ...rest,
      backends: bs.map((b, i) => ({ address: b.address, weight: (weights as number[] | undefined)?.[i] ?? 1 })),
    })),
  });
  port = n.port("web");
});

afterAll(async () => {
  closeCodecs();
  await killAll();
  removeTempDirs();
  bs.forEach((b) => b.stop());
});

/** One GET from local address `ip` (node:http binds it), answering backend name. */
function fromIp(ip: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, localAddress: ip, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.headers["x-backend"])));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

/** Starts `count` requests to `path` 25 ms apart, all in flight together; counts by backend. */
async function staggered(call: Codec["call"], path: string, count: number): Promise<Record<string, number>> {
  const all: Promise<string>[] = [];
  for (let i = 0; i < count; i++) {
    all.push(call(port, path).then(async (r) => (await r.text(), r.headers.get("x-backend") ?? `s${r.status}`)));
    await Bun.sleep(25);
  }
  const counts: Record<string, number> = {};
  for (const b of await Promise.all(all)) counts[b] = (counts[b] ?? 0) + 1;
  return counts;
}

for (const { name: codec, call } of CODECS) {
  describe(`balancing through a real node over ${codec}`, () => {
    test("round robin is exact over 30 requests", async () => {
      expect(await spread(30, () => call(port, "/rr"))).toEqual({ b0: 10, b1: 10, b2: 10 });
    });

    test("weighted round robin with weights 1:2:3 gives 10/20/30 of 60", async () => {
      expect(await spread(60, () => call(port, "/wrr"))).toEqual({ b0: 10, b1: 20, b2: 30 });
    });

    test("random reaches every backend with a fair share", async () => {
      const c = await spread(300, () => call(port, "/rnd"));
      for (const b of ["b0", "b1", "b2"]) {
        expect(c[b]).toBeGreaterThan(60);
        expect(c[b]).toBeLessThan(140);
      }
    });

    test("least connections sends little to a backend busy with slow requests", async () => {
      const c = await staggered(call, "/lc/slow", 18);
      expect((c.b1 ?? 0) + (c.b2 ?? 0)).toBeGreaterThanOrEqual(15);
      expect(c.b0 ?? 0).toBeLessThanOrEqual(3);
    });

    test("power of two choices also steers away from the busy backend, and spreads when idle", async () => {
      const c = await staggered(call, "/p2c/slow", 18);
      expect(c.b0 ?? 0).toBeLessThanOrEqual(4);
      const idle = await spread(60, () => call(port, "/p2c"));
      expect(Object.keys(idle).sort()).toEqual(["b0", "b1", "b2"]);
    });

    test("maglev on header:x-user, ring hash on cookie:sid and maglev on query:u keep each key on one backend", async () => {
      const cases: [string, (k: string) => Promise<Response>][] = [
        ["mg", (k) => call(port, "/mg", { headers: { "x-user": k } })],
        ["ring", (k) => call(port, "/ring", { headers: { cookie: `a=1; sid=${k}` } })],
        ["mgq", (k) => call(port, `/mgq?x=1&u=${k}`)],
      ];
      for (const [name, send] of cases) {
        const used = new Set<string>();
        for (let k = 0; k < 24; k++) {
          const c = await spread(3, () => send(`user-${k}`));
          const got = Object.keys(c);
          expect(`${name}:${got.length}`).toBe(`${name}:1`);
          used.add(got[0]!);
        }
        expect(`${name}:${used.size}`).toBe(`${name}:3`);
      }
    });
  });
}

describe("balancing by source address", () => {
  test("source_ip_hash and maglev on source_ip keep each client address on one backend and spread addresses", async () => {
    for (const path of ["/sip", "/mgip"]) {
      const used = new Set<string>();
      for (let k = 2; k < 26; k++) {
        const got = new Set([await fromIp(`127.0.0.${k}`, path), await fromIp(`127.0.0.${k}`, path), await fromIp(`127.0.0.${k}`, path)]);
        expect(`${path}:${[...got]}`).toMatch(new RegExp(`^${path}:b[012]$`));
        used.add([...got][0]!);
      }
      expect(`${path}:${used.size}`).toBe(`${path}:3`);
    }
  });
});
