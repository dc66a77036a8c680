/**
 * Retries through a real node land on another backend: a 503 listed in `retries.on`, a connect
 * failure, a reset before any response byte; POST only with non_idempotent; attempts bounded and
 * each attempt on a different backend. Every case runs over HTTP/1.1 and over HTTP/2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { killAll } from "../helpers/process.ts";
import { backend, deadAddress, metric, spread, startNode, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";
import { CODECS, closeCodecs } from "./helpers/codecs.ts";

// Answers "<length>:<last 3 bytes>" for a body, so a replayed body is checked whole.
const good = backend("good", async (req) => {
  const t = await req.text();
  return new Response(t === "" ? "fine" : `${t.length}:${t.slice(-3)}`);
});
const bad = backend("bad", () => new Response("down", { status: 503 }));
// Reads the whole body before failing: its 503 arrives after more than the replay limit has passed
// (one that answers at once may do so while the body sent so far is still held, and is then retried).
const badReader = backend("bad", async (req) => (await req.arrayBuffer(), new Response("down", { status: 503 })));
const bads = [0, 1, 2].map((i) => backend(`bad${i}`, () => new Response("down", { status: 503 })));
// Slow failures keep many requests in flight at once, so the retry budget is what limits retries.
const slowBads = [0, 1, 2].map((i) => backend(`slowbad${i}`, async () => (await Bun.sleep(250), new Response("down", { status: 503 }))));
let resetter: TCPSocketListener<undefined>;
let n: L7Node;
let port = 0;

beforeAll(async () => {
  // Accepts, reads the request head, then closes without a byte: a reset before any response.
  resetter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s) => void s.end() } });
  const reset = `127.0.0.1:${resetter.port}`;
  const route = (name: string, pool: string, retries: Record<string, unknown>) => ({ name, match: { path_prefix: `/${name}` }, pool, retries });
  n = await startNode({
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0",
      routes: [
        route("on503", "flaky", { attempts: 2, on: ["503"] }),
        route("post", "flaky", { attempts: 2, on: ["503"], non_idempotent: true }),
        route("no503", "flaky", { attempts: 2, on: ["502"] }),
        route("bigpost", "flakyread", { attempts: 2, on: ["503"], non_idempotent: true }),
        route("dead", "dead", { attempts: 2, on: ["connect_failure"] }),
        route("reset", "reset", { attempts: 2, on: ["reset"] }),
        route("one", "allbad", { attempts: 1, on: ["5xx"] }),
        route("two", "allbad", { attempts: 2, on: ["5xx"] }),
        route("budget", "slowbad", { attempts: 2, on: ["503"] }),
      ],
    }],
    pools: [
      { name: "flaky", backends: [{ address: bad.address }, { address: good.address }] },
      { name: "flakyread", backends: [{ address: badReader.address }, { address: good.address }] },
      { name: "dead", backends: [{ address: deadAddress() }, { address: good.address }] },
      { name: "reset", backends: [{ address: reset }, { address: good.address }] },
      { name: "allbad", backends: bads.map((b) => ({ address: b.address })) },
      { name: "slowbad", backends: slowBads.map((b) => ({ address: b.address })) },
    ],
  });
  port = n.port("web");
});

afterAll(async () => {
  closeCodecs();
  await killAll();
  removeTempDirs();
  [good, bad, badReader, ...bads, ...slowBads].forEach((b) => b.stop());
  resetter?.stop(true);
});

for (const { name: codec, call } of CODECS) {
  describe(`retries through a real node over ${codec}`, () => {
    test("a backend answering 503 is retried on the other: the client sees 200 every time", async () => {
      const before = bad.hits;
      expect(await spread(10, () => call(port, "/on503"))).toEqual({ good: 10 });
      // Round robin sent about half the first attempts to the failing backend.
      expect(bad.hits - before).toBeGreaterThanOrEqual(4);
    });

    test("a status the route does not list is passed to the client as is", async () => {
      const c = await spread(10, () => call(port, "/no503"));
      expect(c.bad).toBeGreaterThanOrEqual(4);
      expect(c.good).toBeGreaterThanOrEqual(4);
    });

    test("a connect failure to a dead backend and a reset before any byte are retried elsewhere", async () => {
      expect(await spread(10, () => call(port, "/dead"))).toEqual({ good: 10 });
      expect(await spread(10, () => call(port, "/reset"))).toEqual({ good: 10 });
    });

    test("a POST body up to 64 KiB is sent again whole to the next backend (of declared length or not)", async () => {
      const body = "p".repeat(40_000) + "end";
      for (let i = 0; i < 6; i++) {
        const res = await call(port, "/dead", { method: "PUT", body });
        expect(res.headers.get("x-backend")).toBe("good");
        expect(await res.text()).toBe(`${body.length}:${body.slice(-3)}`);
      }
      for (let i = 0; i < 6; i++) {
        const res = await call(port, "/post", { method: "POST", pieces: ["chunk-1;", "chunk-2"] });
        expect(`${res.headers.get("x-backend")} ${await res.text()}`).toBe("good 15:k-2");
      }
    });

    test("a body above the replay limit is not retried: the first backend's answer stands", async () => {
      const c = await spread(6, () => call(port, "/bigpost", { method: "POST", body: "q".repeat(100_000) }));
      expect(c.bad).toBeGreaterThanOrEqual(2);
    });

    test("POST is not retried unless the route says non_idempotent", async () => {
      const plain = await spread(10, () => call(port, "/on503", { method: "POST", headers: { "content-length": "0" } }));
      expect(plain.bad).toBeGreaterThanOrEqual(4);
      const allowed = await spread(10, () => call(port, "/post", { method: "POST", headers: { "content-length": "0" } }));
      expect(allowed).toEqual({ good: 10 });
    });

    test("attempts are bounded and each lands on a different backend", async () => {
      const hits = () => bads.map((b) => b.hits);
      const retried = async (route: string) => metric(await n.metrics(), `fulcrum_route_http_retries_total{listener="web",route="${route}"}`);
      const [two0, one0] = [await retried("two"), await retried("one")];
      const h0 = hits();
      const one = await call(port, "/one");
      expect(one.status).toBe(503);
      expect(hits().reduce((t, v, i) => t + v - h0[i]!, 0)).toBe(2);
      const h1 = hits();
      const two = await call(port, "/two");
      expect(two.status).toBe(503);
      expect(hits().map((v, i) => v - h1[i]!)).toEqual([1, 1, 1]);
      expect(await retried("two")).toBe(two0 + 2);
      expect(await retried("one")).toBe(one0 + 1);
    });

    test("the retry budget caps retries when many requests fail at once (20% of active, at least 3)", async () => {
      const hits = () => slowBads.reduce((t, b) => t + b.hits, 0);
      const before = hits();
      const all = await Promise.all(Array.from({ length: 20 }, () => call(port, "/budget").then(async (r) => (await r.text(), r.status))));
      expect(all).toEqual(Array(20).fill(503));
      const extra = hits() - before - 20;
      // Without a budget all 20 would try 3 times (40 extra attempts); a few units of budget allow
      // only their holders' retries.
      expect(extra).toBeGreaterThanOrEqual(2);
      expect(extra).toBeLessThanOrEqual(10);
    });
  });
}

/** One raw HTTP/1.1 exchange: `head`, the first `first` bytes of the body, a pause, then the rest; resolves to the response text. */
async function splitUpload(path: string, body: string, first: number, pauseMs: number): Promise<string> {
  let got = "";
  const done = Promise.withResolvers<string>();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        got += d.toString("latin1");
        const m = /content-length: (\d+)\r\n/i.exec(got), at = got.indexOf("\r\n\r\n");
        if (m && at >= 0 && got.length >= at + 4 + Number(m[1])) done.resolve(got);
      },
      close: () => done.resolve(got),
    },
  });
  s.write(`PUT ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, first)}`);
  await Bun.sleep(pauseMs);
  s.write(body.slice(first));
  const timer = setTimeout(() => done.resolve(`${got}(no complete response within 3 s)`), 3000);
  const text = await done.promise;
  clearTimeout(timer);
  s.end();
  return text;
}

test("a body that arrives in two parts around a connect failure is read to its end on the retry's reused connection", async () => {
  // The first part is held for the dead backend's connection (reading pauses while it connects); the
  // retry replays it on an idle connection to the good one, which takes it at once: reading must go on.
  for (let i = 0; i < 4; i++) expect((await fetch(`http://127.0.0.1:${port}/dead`)).status).toBe(200); // idle connections to "good"
  const body = "p".repeat(40_000) + "end";
  for (let i = 0; i < 4; i++) {
    const text = await splitUpload("/dead", body, 20_000, 150);
    expect(text.startsWith("HTTP/1.1 200")).toBe(true);
    expect(text.endsWith(`${body.length}:end`)).toBe(true);
  }
}, 30_000);

