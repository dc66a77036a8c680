/**
 * Issue 7, retries end to end: a backend that drops requests (closes or resets the connection
 * without answering) or answers 503 costs clients nothing when the route retries on that failure;
 * without retries the failure reaches the client, and a POST is never resent on its own. Every
 * case runs over HTTP/1.1 and over HTTP/2.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { startNode, type ResilienceNode } from "./helpers-resilience/node.ts";
import { CODECS, closeCodecs, type Codec } from "./helpers/codecs.ts";

let good: TestBackend[];
let unavailable: TestBackend;
let dropping: TCPSocketListener<undefined>[];
let dropped = 0;
let node: ResilienceNode;
let port = 0;

beforeAll(async () => {
  good = ["g0", "g1"].map((t) => startBackend(t));
  unavailable = startBackend("u0");
  unavailable.status = 503;
  // One closes (FIN) on the first request bytes, the other resets (RST).
  dropping = [false, true].map((reset) =>
    Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s) {
          dropped++;
          if (reset) s.terminate();
          else s.end();
        },
      },
    }),
  );
  const all = [...good.map((b) => b.address), ...dropping.map((l) => `127.0.0.1:${l.port}`), unavailable.address];
  const route = (name: string, prefix: string, retries?: unknown) => ({ name, match: { path_prefix: prefix }, ...(retries ? { retries } : {}) });
  node = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
        routes: [
          route("retrying", "/retry", { attempts: 4, on: ["connect_failure", "reset", "503"] }),
          route("plain", "/plain"),
        ],
      },
    ],
    pools: [{ name: "app", algorithm: "round_robin", backends: all.map((address) => ({ address })) }],
  });
  port = await node.port("web");
});

afterAll(async () => {
  closeCodecs();
  await node?.stop();
  [...(good ?? []), unavailable].forEach((b) => b?.kill());
  dropping?.forEach((l) => l.stop(true));
});

async function run(codec: Codec, path: string, n: number, method = "GET"): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const res = await codec.call(port, path, { method, body: method === "POST" ? "x" : undefined });
    const body = await res.text();
    const key = res.status === 200 ? body : `${res.status} ${res.headers.get("x-fulcrum-error") ?? ""}`.trim();
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

for (const codec of CODECS) {
  test(`GETs retried on reset and 503 all succeed, though the bad backends keep getting their turn (${codec.name})`, async () => {
    const before = { dropped, u: unavailable.hits };
    const seen = await run(codec, "/retry", 40);
    expect([...seen.keys()].sort()).toEqual(["g0", "g1"]);
    // Round robin over five: the dropping and the 503 backends were tried, and retried past.
    expect(dropped - before.dropped).toBeGreaterThanOrEqual(8);
    expect(unavailable.hits - before.u).toBeGreaterThanOrEqual(4);
  });

  test(`without retries the same failures reach the client (${codec.name})`, async () => {
    const seen = await run(codec, "/plain", 20);
    expect(seen.get("503")).toBeGreaterThan(0);
    const gateway = [...seen.entries()].filter(([k]) => k.startsWith("502")).reduce((a, [, n]) => a + n, 0);
    expect(gateway).toBeGreaterThan(0);
  });

  test(`a POST dropped by a backend is not resent (${codec.name})`, async () => {
    const before = dropped;
    const seen = await run(codec, "/retry", 10, "POST");
    const gateway = [...seen.entries()].filter(([k]) => k.startsWith("502")).reduce((a, [, n]) => a + n, 0);
    expect(gateway).toBe(dropped - before);
    expect(gateway).toBeGreaterThan(0);
  });
}
