import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LbError } from "../../src/errors.ts";
import { startProxy, type ProxyCtx, type ProxyServer } from "../../src/l7/index.ts";
import { rawExchange, startOrigin, type Origin } from "../helpers/origin.ts";

let origin: Origin;
let proxy: ProxyServer;
// what onLog saw: the ctx itself is the engine's, reused for the connection's next request
const logs: Pick<ProxyCtx, "status" | "error">[] = [];

beforeAll(() => {
  origin = startOrigin({
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/echo-headers") return Response.json(Object.fromEntries(req.headers));
      if (url.pathname === "/slow") await Bun.sleep(Number(url.searchParams.get("ms") ?? 50));
      if (url.pathname === "/204") return new Response(null, { status: 204 });
      if (url.pathname === "/304") return new Response(null, { status: 304, headers: { etag: '"x"' } });
      const body = await req.arrayBuffer();
      return new Response(`${req.method} ${url.pathname}${url.search} ${body.byteLength}`);
    },
  });
  proxy = startProxy({
    hooks: {
      selectUpstream: (ctx) => (ctx.req.target.startsWith("/none") ? new LbError("NO_HEALTHY_BACKEND", "no backend") : { address: origin.address }),
      onLog: (ctx) => void logs.push({ status: ctx.status, error: ctx.error }),
    },
    maxBodyBytes: 1000,
  });
});

afterAll(() => {
  proxy.stop(true);
  origin.stop();
});

const url = (path: string) => `http://127.0.0.1:${proxy.port}${path}`;

describe("forwarding", () => {
  test("reuses one keep-alive backend connection for sequential requests", async () => {
    const before = origin.connections;
    for (let i = 0; i < 20; i++) expect(await (await fetch(url(`/n${i}`))).text()).toBe(`GET /n${i} 0`);
    expect(origin.connections - before).toBe(1);
    expect(proxy.pool.idleCount(origin.address)).toBe(1);
  });

  test("answers pipelined requests in order even when the first is slowest", async () => {
    const reqs = ["/slow?ms=80", "/slow?ms=1", "/fast"].map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join("");
    const r = await rawExchange(proxy.port, reqs + "GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const bodies = [...r.text.matchAll(/GET (\/[a-z]+)/g)].map((m) => m[1]);
    expect(bodies).toEqual(["/slow", "/slow", "/fast", "/last"]);
    expect(r.closed).toBe(true);
  });

  test("a pipelined POST body does not swallow the request after it", async () => {
    const r = await rawExchange(proxy.port, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /q HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect([...r.text.matchAll(/(POST|GET) (\/[a-z]) (\d+)/g)].map((m) => m[0])).toEqual(["POST /p 5", "GET /q 0"]);
  });

  test("a throwing hook costs the request a 500, not the connection or the process", async () => {
    const p = startProxy({ hooks: { selectUpstream: () => { throw new Error("boom"); } } });
    try {
      const r = await rawExchange(p.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 300);
      expect(r.text.startsWith("HTTP/1.1 500 ")).toBe(true);
      expect(r.text).toContain("x-fulcrum-error: INTERNAL");
    } finally {
      p.stop(true);
    }
  });

  test("HEAD, 204 and 304 carry no body and the connection stays usable", async () => {
    const r = await rawExchange(proxy.port,
      "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(["200", "204", "304", "200"]);
    expect(r.text).toContain("content-length: 9\r\n\r\nHTTP/1.1 204"); // HEAD: the length of "HEAD /h 0", no body
    expect(r.text.endsWith("GET /after 0")).toBe(true);
  });

  test("adds X-Forwarded-* and X-Request-Id, drops hop-by-hop and Connection-named fields", async () => {
    const res = await fetch(url("/echo-headers"), { headers: { connection: "keep-alive, x-drop", "x-drop": "1", "x-forwarded-for": "6.6.6.6", forwarded: "for=6.6.6.6", "x-keep": "k" } });
    const h = (await res.json()) as Record<string, string>;
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe(`127.0.0.1:${proxy.port}`);
    expect(h["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // a UUIDv7
    expect(h["forwarded"]).toBe("for=127.0.0.1;proto=http");
    expect([h["x-drop"], h["x-keep"]]).toEqual([undefined as never, "k"]);
    const given = await (await fetch(url("/echo-headers"), { headers: { "x-request-id": "abc-1" } })).json() as Record<string, string>;
    expect(given["x-request-id"]).toBe("abc-1");
  });

  test("from a trusted proxy, the incoming chains are extended instead of replaced", async () => {
    const p = startProxy({
      hooks: {
        onRequest(ctx) {
          ctx.trustForwarded = true;
          return null;
        },
        selectUpstream: () => ({ address: origin.address }),
      },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${p.port}/echo-headers`, {
        headers: { "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", forwarded: "for=6.6.6.6;proto=https" },
      });
      const h = (await res.json()) as Record<string, string>;
      expect([h["x-forwarded-for"], h["x-forwarded-proto"], h["forwarded"]]).toEqual(["6.6.6.6, 127.0.0.1", "https", "for=6.6.6.6;proto=https, for=127.0.0.1;proto=http"]);
    } finally {
      p.stop(true);
    }
  });

  test("Connection: close is honoured", async () => {
    const r = await rawExchange(proxy.port, "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(r.text).toContain("connection: close");
    expect(r.closed).toBe(true);
  });

  test("an HTTP/1.0 client gets a keep-alive response when it asks for one", async () => {
    const r = await rawExchange(proxy.port, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 300);
    expect(r.text.startsWith("HTTP/1.1 200")).toBe(true);
    expect(r.text).toContain("connection: keep-alive");
    expect(r.closed).toBe(false);
  });

  test("streams a chunked upload to the backend re-framed as chunked", async () => {
    const r = await rawExchange(proxy.port, "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n");
    expect(r.text.endsWith("POST /up 5")).toBe(true);
    expect(origin.raw()).toContain("transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n");
  });
});

describe("errors the client sees", () => {
  const expectError = (text: string, status: number, code: string) => {
    expect(text.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(text).toContain(`x-fulcrum-error: ${code}\r\n`);
  };

  test("503 NO_HEALTHY_BACKEND when the selector has none, connection kept", async () => {
    const r = await rawExchange(proxy.port, "GET /none HTTP/1.1\r\nHost: a\r\n\r\n", 300);
    expectError(r.text, 503, "NO_HEALTHY_BACKEND");
    expect(r.closed).toBe(false);
  });

  test("413 BODY_TOO_LARGE above maxBodyBytes, by Content-Length or while streaming chunks", async () => {
    expectError((await rawExchange(proxy.port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")).text, 413, "BODY_TOO_LARGE");
    const chunk = `3e8\r\n${"a".repeat(1000)}\r\n`;
    const r = await rawExchange(proxy.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}`);
    expectError(r.text, 413, "BODY_TOO_LARGE");
    expect(r.closed).toBe(true);
  });

  test("502 UPSTREAM_CONNECT_FAILED when the backend refuses, 504 when it never answers", async () => {
    const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const deadPort = dead.port;
    dead.stop(true);
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const p = startProxy({
      hooks: { selectUpstream: (c) => ({ address: `127.0.0.1:${c.req.target === "/dead" ? deadPort : silent.port}` }) },
      timeouts: { responseMs: 300 },
    });
    try {
      expectError((await rawExchange(p.port, "GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1000)).text, 502, "UPSTREAM_CONNECT_FAILED");
      const t0 = Date.now();
      expectError((await rawExchange(p.port, "GET /silent HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 3000)).text, 504, "UPSTREAM_TIMEOUT");
      expect(Date.now() - t0).toBeLessThan(2500);
    } finally {
      p.stop(true);
      silent.stop(true);
    }
  });

  test("408 when a request head trickles in too slowly", async () => {
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: origin.address }) }, timeouts: { headerMs: 300 } });
    try {
      const r = await rawExchange(p.port, "GET / HTTP/1.1\r\nHost: a\r\n", 2000);
      expectError(r.text, 408, "REQUEST_TIMEOUT");
      expect(r.closed).toBe(true);
    } finally {
      p.stop(true);
    }
  });

  test("onLog runs once per request with status and error code", () => {
    const failed = logs.find((c) => c.error?.code === "NO_HEALTHY_BACKEND");
    expect(failed?.status).toBe(503);
    expect(logs.filter((c) => c.status === 200).length).toBeGreaterThan(20);
  });
});

describe("stopping", () => {
  test("a graceful stop lets the request in flight finish with connection: close, then closes", async () => {
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: origin.address }) } });
    const pending = rawExchange(p.port, "GET /slow?ms=200 HTTP/1.1\r\nHost: a\r\n\r\n", 3000);
    await Bun.sleep(50);
    p.stop();
    const r = await pending;
    expect(r.text.startsWith("HTTP/1.1 200 ")).toBe(true);
    expect(r.text).toContain("connection: close");
    expect(r.closed).toBe(true);
    expect(p.connections()).toBe(0);
  });
});
