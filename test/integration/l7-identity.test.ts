/**
 * Client identity end to end: X-Forwarded-For/Proto/Host and Forwarded as the backend sees them,
 * incoming chains kept only from trusted proxies, X-Request-Id generated or passed through, and
 * traceparent untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, call, pool, seen, startNode, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";

let origin: Backend;
let n: L7Node;

beforeAll(async () => {
  origin = backend("o");
  n = await startNode({
    listeners: [
      { name: "open", protocol: "http", address: "127.0.0.1:0", pool: "p" },
      { name: "behind", protocol: "http", address: "127.0.0.1:0", pool: "p", trusted_proxies: ["127.0.0.0/8"] },
      { name: "other", protocol: "http", address: "127.0.0.1:0", pool: "p", trusted_proxies: ["10.0.0.0/8"] },
    ],
    pools: [pool("p", [origin])],
  });
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  origin.stop();
});

const spoof = {
  "x-forwarded-for": "6.6.6.6",
  "x-forwarded-proto": "https",
  "x-forwarded-host": "evil.test",
  forwarded: "for=6.6.6.6;proto=https",
};

describe("client identity through a real node", () => {
  test("the backend sees the client address, scheme and host in X-Forwarded-* and Forwarded", async () => {
    const h = (await seen(await call(n.port("open"), "/", { host: "shop.test:81" }))).headers;
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe("shop.test:81");
    expect(h["forwarded"]).toMatch(/^for=127\.0\.0\.1;/);
    expect(h["forwarded"]).toContain("proto=http");
  });

  test("an untrusted client's forwarded chain is overwritten", async () => {
    for (const name of ["open", "other"]) {
      const h = (await seen(await call(n.port(name), "/", { host: "shop.test", headers: spoof }))).headers;
      expect(h["x-forwarded-for"]).toBe("127.0.0.1");
      expect(h["x-forwarded-proto"]).toBe("http");
      expect(h["x-forwarded-host"]).toBe("shop.test");
      expect(h["forwarded"]).not.toContain("6.6.6.6");
    }
  });

  test("a trusted proxy's chain is kept and extended with its address", async () => {
    const h = (await seen(await call(n.port("behind"), "/", { host: "shop.test", headers: spoof }))).headers;
    expect(h["x-forwarded-for"]).toBe("6.6.6.6, 127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("https");
    expect(h["x-forwarded-host"]).toBe("evil.test");
    expect(h["forwarded"]).toMatch(/^for=6\.6\.6\.6;proto=https, for=127\.0\.0\.1/);
  });

  test("X-Request-Id is generated when absent (unique per request) and passed through when present", async () => {
    const a = (await seen(await call(n.port("open"), "/"))).headers["x-request-id"];
    const b = (await seen(await call(n.port("open"), "/"))).headers["x-request-id"];
    expect(a).toMatch(/^[0-9a-zA-Z-]{8,}$/);
    expect(b).toMatch(/^[0-9a-zA-Z-]{8,}$/);
    expect(a).not.toBe(b);
    const mine = (await seen(await call(n.port("open"), "/", { headers: { "x-request-id": "req-abc-123" } }))).headers["x-request-id"];
    expect(mine).toBe("req-abc-123");
  });

  test("traceparent and tracestate reach the backend byte for byte", async () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const h = (await seen(await call(n.port("open"), "/", { headers: { traceparent: tp, tracestate: "k=v" } }))).headers;
    expect(h["traceparent"]).toBe(tp);
    expect(h["tracestate"]).toBe("k=v");
  });
});
