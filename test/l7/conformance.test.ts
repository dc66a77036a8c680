import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startProxy, type ProxyServer } from "../../src/l7/index.ts";
import { rawExchange, startOrigin, type Origin } from "../helpers/origin.ts";
import { MALFORMED } from "./cases.ts";

let origin: Origin;
let proxy: ProxyServer;

beforeAll(() => {
  origin = startOrigin({ fetch: () => new Response("ok") });
  proxy = startProxy({ hooks: { selectUpstream: () => ({ address: origin.address }) } });
});

afterAll(() => {
  proxy.stop(true);
  origin.stop();
});

describe("malformed and smuggling requests over a socket", () => {
  for (const [name, data, reason, status] of MALFORMED) {
    test(`${name}: ${status}, connection closed, backend saw nothing`, async () => {
      const r = await rawExchange(proxy.port, data);
      expect(r.text.slice(0, 13)).toBe(`HTTP/1.1 ${status ?? 400} `);
      expect(r.text).toContain("x-fulcrum-error: ");
      expect(r.text).toContain(reason);
      expect(r.text).toContain("connection: close");
      expect(r.closed).toBe(true);
      expect([origin.connections, origin.bytes]).toEqual([0, 0]);
    });
  }

  test("a valid request pipelined before a smuggling attempt is answered; the attempt never reaches the backend", async () => {
    const good = "GET /first HTTP/1.1\r\nHost: a\r\n\r\n";
    const bad = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
    const r = await rawExchange(proxy.port, good + bad);
    expect(r.text.startsWith("HTTP/1.1 200 ")).toBe(true);
    expect(r.text).toContain("HTTP/1.1 400 ");
    expect(r.closed).toBe(true);
    expect(origin.raw()).toContain("GET /first");
    expect(origin.raw()).not.toContain("/admin");
    expect(origin.raw()).not.toContain("POST");
  });
});
