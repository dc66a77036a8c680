/**
 * Access lists and max_connections_per_client on http listeners and routes, through a real node
 * with curl and raw sockets from chosen loopback addresses: 403 ACCESS_DENIED (listener: then
 * closed; route: keep-alive), the X-Forwarded-For client behind trusted_proxies for routes, a
 * trusted PROXY header's source for listeners, 429 TOO_MANY_CONNECTIONS, counters per listener
 * and route, and the 400 a CIDR that does not parse gets. The same over HTTP/2 (h2c): a refused
 * connection's stream gets the 403/429 and the connection GOAWAY.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, metric, removeTempDirs, startNode, until, type Backend, type L7Node } from "./helpers/l7-node.ts";
import { connectFrom, curlFrom } from "./helpers/source-client.ts";
import { closeH2From, h2From } from "./helpers/h2-from.ts";

let app: Backend;
let n: L7Node;

beforeAll(async () => {
  app = backend("app");
  n = await startNode({
    listeners: [
      { name: "only2", protocol: "http", address: "127.0.0.1:0", pool: "app", access: { allow: ["127.0.0.2/32"] } },
      {
        name: "routes", protocol: "http", address: "127.0.0.1:0", pool: "app", trusted_proxies: ["127.0.0.5/32"],
        routes: [
          { name: "admin", match: { path_prefix: "/admin" }, access: { allow: ["127.0.0.2", "10.0.0.0/8"] } },
          { name: "open", match: { path_prefix: "/" } },
        ],
      },
      { name: "proxied", protocol: "http", address: "127.0.0.1:0", pool: "app", proxy_protocol: { accept_from: ["127.0.0.0/8"] }, access: { allow: ["10.1.0.0/16"] } },
      { name: "per-client", protocol: "http", address: "127.0.0.1:0", pool: "app", max_connections_per_client: 1 },
      { name: "v6-allow", protocol: "http", address: "[::1]:0", pool: "app", access: { allow: ["::1/128"] } },
      { name: "v6-deny", protocol: "http", address: "[::1]:0", pool: "app", access: { deny: ["::1"] } },
    ],
    pools: [{ name: "app", backends: [{ address: app.address }] }],
  });
});

afterAll(async () => {
  closeH2From();
  await killAll();
  app.stop();
  removeTempDirs();
});

const url = (listener: string, path = "/", host = "127.0.0.1") => `http://${host.includes(":") ? `[${host}]` : host}:${n.port(listener)}${path}`;

describe("listener access lists", () => {
  test("a denied client gets 403 ACCESS_DENIED and a closed connection, never a backend", async () => {
    const ok = await curlFrom("127.0.0.2", url("only2"));
    expect(ok.status).toBe(200);
    const hits = app.hits;
    const denied = await curlFrom("127.0.0.3", url("only2"));
    expect(denied.status).toBe(403);
    expect(denied.head).toContain("x-fulcrum-error: access_denied");
    expect(denied.head).toContain("connection: close");
    expect(app.hits).toBe(hits);
    expect(metric(await n.metrics(), 'fulcrum_listener_access_denied_total{listener="only2"}')).toBe(1);
  });

  test("IPv6: ::1 is allowed by ::1/128 and denied by a deny of ::1", async () => {
    expect((await curlFrom("::1", url("v6-allow", "/", "::1"))).status).toBe(200);
    expect((await curlFrom("::1", url("v6-deny", "/", "::1"))).status).toBe(403);
  });

  test("behind a trusted PROXY header, the header's source is the client judged", async () => {
    const send = async (src: string): Promise<string> => {
      const c = await connectFrom("127.0.0.2", n.port("proxied"));
      c.write(`PROXY TCP4 ${src} 127.0.0.1 40000 80\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`);
      await c.waitFor("\r\n\r\n");
      c.end();
      return c.text();
    };
    expect(await send("10.1.2.3")).toStartWith("HTTP/1.1 200");
    expect(await send("10.9.9.9")).toStartWith("HTTP/1.1 403");
  });
});

describe("route access lists", () => {
  test("a denied route answers 403 and keeps the connection; other routes still serve it", async () => {
    const c = await connectFrom("127.0.0.3", n.port("routes"));
    c.write("GET /admin/x HTTP/1.1\r\nHost: a\r\n\r\n");
    await c.waitFor("ACCESS_DENIED\n");
    expect(c.text()).toStartWith("HTTP/1.1 403");
    expect(c.text().toLowerCase()).not.toContain("connection: close");
    c.write("GET /page HTTP/1.1\r\nHost: a\r\n\r\n");
    await c.waitFor('"backend":"app"');
    c.end();
    expect((await curlFrom("127.0.0.2", url("routes", "/admin/x"))).status).toBe(200);
    expect(metric(await n.metrics(), 'fulcrum_route_access_denied_total{listener="routes",route="admin"}')).toBe(1);
  });

  test("behind a trusted proxy the X-Forwarded-For client is judged; an untrusted peer cannot claim one", async () => {
    const xff = (v: string) => ["-H", `x-forwarded-for: ${v}`];
    // 127.0.0.5 is a trusted proxy: the client it names is judged
    expect((await curlFrom("127.0.0.5", url("routes", "/admin"), xff("10.1.1.1"))).status).toBe(200);
    expect((await curlFrom("127.0.0.5", url("routes", "/admin"), xff("192.168.1.1"))).status).toBe(403);
    // a hop appended by an untrusted proxy is the client: what it claims to its left does not count
    expect((await curlFrom("127.0.0.5", url("routes", "/admin"), xff("10.1.1.1, 127.0.0.9"))).status).toBe(403);
    // trusted hops are skipped from the right
    expect((await curlFrom("127.0.0.5", url("routes", "/admin"), xff("10.1.1.1, 127.0.0.5"))).status).toBe(200);
    // 127.0.0.7 is not trusted: its X-Forwarded-For is ignored, its own address is judged
    expect((await curlFrom("127.0.0.7", url("routes", "/admin"), xff("10.1.1.1"))).status).toBe(403);
  });
});

describe("max_connections_per_client on http", () => {
  test("a connection past the limit is answered 429 TOO_MANY_CONNECTIONS and closed; the place frees on close", async () => {
    const port = n.port("per-client");
    const held = await connectFrom("127.0.0.2", port);
    held.write("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
    await held.waitFor('"backend":"app"');
    const over = await curlFrom("127.0.0.2", url("per-client"));
    expect(over.status).toBe(429);
    expect(over.head).toContain("x-fulcrum-error: too_many_connections");
    expect(over.head).toContain("connection: close");
    expect((await curlFrom("127.0.0.3", url("per-client"))).status).toBe(200);
    // the held connection still works
    held.write("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    await until(() => held.text().split('"backend":"app"').length === 3, 3000);
    held.end();
    await held.waitClosed();
    await until(async () => (await curlFrom("127.0.0.2", url("per-client"))).status === 200, 3000);
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_listener_client_limit_refused_total{listener="per-client"}')).toBeGreaterThanOrEqual(1);
    const st = await n.status();
    expect(st.listeners.find((l: any) => l.name === "per-client").client_limit_refused).toBeGreaterThanOrEqual(1);
  });
});

describe("over HTTP/2 (h2c)", () => {
  test("a denied client's stream gets 403 ACCESS_DENIED, then GOAWAY and a closed connection, never a backend", async () => {
    const ok = h2From("127.0.0.2", n.port("only2"));
    expect((await ok.get("/")).status).toBe(200);
    expect((await ok.get("/again")).status).toBe(200); // the same connection serves on
    expect(ok.goaway).toBeNull();
    const hits = app.hits;
    const before = metric(await n.metrics(), 'fulcrum_listener_access_denied_total{listener="only2"}');
    const denied = h2From("127.0.0.3", n.port("only2"));
    const r = await denied.get("/");
    expect(r.status).toBe(403);
    expect(r.headers["x-fulcrum-error"]).toBe("ACCESS_DENIED");
    await denied.waitClosed();
    expect(denied.goaway).toBe(0); // NO_ERROR: the answer says why
    expect(app.hits).toBe(hits);
    expect(metric(await n.metrics(), 'fulcrum_listener_access_denied_total{listener="only2"}')).toBe(before + 1);
  });

  test("a denied route answers its stream 403 and keeps the connection", async () => {
    const c = h2From("127.0.0.3", n.port("routes"));
    const r = await c.get("/admin/x");
    expect(r.status).toBe(403);
    expect(r.headers["x-fulcrum-error"]).toBe("ACCESS_DENIED");
    expect((await c.get("/page")).status).toBe(200);
    expect(c.goaway).toBeNull();
    expect(c.closed).toBe(false);
    c.close();
  });

  test("max_connections_per_client counts HTTP/2 connections: past it 429 and GOAWAY; closing one frees its place", async () => {
    const port = n.port("per-client");
    const held = h2From("127.0.0.2", port);
    expect((await held.get("/1")).status).toBe(200);
    const over = h2From("127.0.0.2", port);
    const r = await over.get("/");
    expect(r.status).toBe(429);
    expect(r.headers["x-fulcrum-error"]).toBe("TOO_MANY_CONNECTIONS");
    await over.waitClosed();
    // an HTTP/1.1 connection is over the same count
    expect((await curlFrom("127.0.0.2", url("per-client"))).status).toBe(429);
    expect((await held.get("/2")).status).toBe(200);
    held.close();
    await until(async () => (await curlFrom("127.0.0.2", url("per-client"))).status === 200, 3000);
    // and an HTTP/1.1 connection held takes the place from HTTP/2 ones
    const h1 = await connectFrom("127.0.0.2", port);
    h1.write("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
    await h1.waitFor('"backend":"app"');
    expect((await h2From("127.0.0.2", port).get("/")).status).toBe(429);
    h1.end();
    await h1.waitClosed();
    await until(async () => (await h2From("127.0.0.2", port).get("/")).status === 200, 3000);
  });
});

describe("bad access config", () => {
  test("a CIDR that does not parse is a 400 naming the field; nothing changes", async () => {
    const put = async (doc: unknown) => {
      const r = await fetch(`${n.node.url}/v1/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
      return { status: r.status, body: (await r.json()) as any };
    };
    const doc = (listener: Record<string, unknown>) => ({
      listeners: [{ name: "x", protocol: "http", address: "127.0.0.1:0", pool: "app", ...listener }],
      pools: [{ name: "app", backends: [{ address: app.address }] }],
    });
    const bad = await put(doc({ access: { allow: ["10.0.0.0/33"], deny: ["not-an-ip"] } }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("CONFIG_INVALID");
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(["listeners[0].access.allow[0]", "listeners[0].access.deny[0]"]);
    const route = await put(doc({ routes: [{ name: "r", access: { deny: ["1.2.3.4/x"] } }] }));
    expect(route.body.error.details.map((d: any) => d.path)).toEqual(["listeners[0].routes[0].access.deny[0]"]);
    const empty = await put(doc({ access: { allow: [] } }));
    expect(empty.body.error.details.map((d: any) => d.path)).toEqual(["listeners[0].access.allow"]);
    expect((await curlFrom("127.0.0.2", url("only2"))).status).toBe(200);
  });
});
