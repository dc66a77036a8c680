import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startProxy, type ProxyCtx, type ProxyServer } from "../../src/l7/index.ts";
import { rawExchange, startOrigin, type Origin } from "../helpers/origin.ts";

let origin: Origin;
let flaky: Origin;
let proxy: ProxyServer;
// what onLog saw: the ctx itself is the engine's, reused for the connection's next request
const logs: Pick<ProxyCtx, "status" | "attempt" | "reusedConnection" | "replyErrorCode">[] = [];

beforeAll(() => {
  origin = startOrigin({
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/slow") await Bun.sleep(1500);
      const body = await req.text();
      return Response.json({ headers: Object.fromEntries(req.headers), body }, { headers: { "x-internal": "secret", "x-public": "yes" } });
    },
  });
  flaky = startOrigin({ fetch: () => new Response("try elsewhere", { status: 503 }) });
  proxy = startProxy({
    hooks: {
      onRequest(ctx) {
        if (ctx.req.target === "/refuse") return { status: 429, errorCode: "RATE_LIMITED", body: "slow down\n" };
        ctx.dropRequestFields = ["X-Secret", "Content-Length"];
        ctx.addRequestFields = "x-set: 1\r\n";
        if (ctx.req.target === "/slow") ctx.responseTimeoutMs = 200;
        return null;
      },
      selectUpstream: (ctx) => ({ address: ctx.req.target === "/retry" && ctx.attempt === 1 ? flaky.address : origin.address }),
      retryOnResponse: (_ctx, res) => res.status === 503,
      onResponse(ctx) {
        ctx.dropResponseFields = ["X-Internal"];
      },
      onLog: (ctx) => void logs.push({ status: ctx.status, attempt: ctx.attempt, reusedConnection: ctx.reusedConnection, replyErrorCode: ctx.replyErrorCode }),
    },
    timeouts: { responseMs: 60_000 },
  });
});

afterAll(() => {
  proxy.stop(true);
  origin.stop();
  flaky.stop();
});

const url = (p: string) => `http://127.0.0.1:${proxy.port}${p}`;

describe("hook controls", () => {
  test("dropRequestFields removes fields by name but never the framing; addRequestFields adds", async () => {
    const res = await fetch(url("/h"), { method: "POST", body: "abc", headers: { "x-secret": "s", "x-keep": "k" } });
    const got = (await res.json()) as { headers: Record<string, string>; body: string };
    expect([got.headers["x-secret"], got.headers["x-keep"], got.headers["x-set"], got.body]).toEqual([undefined as never, "k", "1", "abc"]);
  });

  test("dropResponseFields removes backend fields before the client sees them", async () => {
    const res = await fetch(url("/h"));
    expect([res.headers.get("x-internal"), res.headers.get("x-public")]).toEqual([null, "yes"]);
  });

  test("retryOnResponse discards a 503 and the next attempt answers", async () => {
    const res = await fetch(url("/retry"));
    expect(res.status).toBe(200);
    expect(logs.at(-1)!.attempt).toBe(2);
  });

  test("responseTimeoutMs overrides the listener's response timeout", async () => {
    const t0 = Date.now();
    const res = await fetch(url("/slow"));
    expect([res.status, res.headers.get("x-fulcrum-error")]).toEqual([504, "UPSTREAM_TIMEOUT"]);
    expect(Date.now() - t0).toBeLessThan(1200);
  });

  test("the log sees reusedConnection and the errorCode of a hook reply", async () => {
    await fetch(url("/a"));
    await fetch(url("/b"));
    expect(logs.at(-1)!.reusedConnection).toBe(true);
    const r = await rawExchange(proxy.port, "GET /refuse HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(r.text).toContain("x-fulcrum-error: RATE_LIMITED");
    expect([logs.at(-1)!.status, logs.at(-1)!.replyErrorCode]).toEqual([429, "RATE_LIMITED"]);
  });
});

describe("a connection that carried part of a request is never reused", () => {
  test("a bad chunk after some body was sent closes that backend connection", async () => {
    let connections = 0;
    const seen: string[] = [];
    const backend = Bun.listen<{ buf: string }>({
      hostname: "127.0.0.1", port: 0,
      socket: {
        open(s) { s.data = { buf: "" }; connections++; },
        data(s, d) {
          s.data.buf += d.toString("latin1");
          seen.push(d.toString("latin1"));
          if (s.data.buf.startsWith("GET") && s.data.buf.endsWith("\r\n\r\n")) {
            s.data.buf = "";
            s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          }
        },
      },
    });
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: `127.0.0.1:${backend.port}` }) } });
    try {
      expect((await rawExchange(p.port, "GET /warm HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).text.endsWith("ok")).toBe(true);
      const sock = await Bun.connect({ hostname: "127.0.0.1", port: p.port, socket: { data() {} } });
      sock.write("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      for (let i = 0; i < 100 && !seen.join("").includes("hello"); i++) await Bun.sleep(10);
      sock.write("zz\r\n");
      await Bun.sleep(100);
      sock.end();
      const after = await rawExchange(p.port, "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(after.text.endsWith("ok")).toBe(true);
      // /warm's connection carried the half upload and was closed: /next needed a new one
      expect(connections).toBe(2);
    } finally {
      p.stop(true);
      backend.stop(true);
    }
  });
});
