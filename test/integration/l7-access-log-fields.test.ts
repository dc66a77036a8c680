/**
 * The access log through a real node (issue 12 item 11): by default a JSON line carries the full
 * target with its query, the protocol, user agent, referer, backend address, upstream status and
 * time, retries and a UUIDv7 request id; an upgraded connection (a WebSocket) is logged when it
 * closes, with its bytes both ways and its duration; `access_log: { path, fields, format }`
 * chooses the fields and the format (the path string form still works); an unknown field name is
 * a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { backend, call, deadAddress, removeTempDirs, startNode, tempDir, until, type L7Node } from "./helpers/l7-node.ts";
import { rawClient } from "./helpers/raw-client.ts";
import { scriptedBackend } from "./helpers/scripted-backend.ts";

const ok = backend("ok");
const bad = backend("bad", () => new Response("down", { status: 503 }));
const ws = scriptedBackend(() => ({
  parts: ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello"],
  tunnel: true,
}));
const dir = tempDir();
const FILES = { all: join(dir, "all.log"), text: join(dir, "text.log"), some: join(dir, "some.log") };
let n: L7Node;

beforeAll(async () => {
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: FILES.all,
        routes: [
          { name: "retry", match: { path_prefix: "/retry" }, pool: "flaky", retries: { attempts: 1, on: ["503"] } },
          { name: "down", match: { path_prefix: "/down" }, pool: "bad" },
          { name: "gone", match: { path_prefix: "/gone" }, pool: "dead" },
          { name: "chat", match: { path_prefix: "/chat" }, pool: "ws" },
        ],
      },
      {
        name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "app",
        access_log: { path: FILES.text, format: "text", fields: ["status", "method", "target", "user_agent", "referer", "protocol"] },
      },
      { name: "some", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: { path: FILES.some, fields: ["status", "request_id"] } },
    ],
    pools: [
      { name: "app", backends: [{ address: ok.address }] },
      { name: "flaky", algorithm: "round_robin", backends: [{ address: bad.address }, { address: ok.address }] },
      { name: "bad", backends: [{ address: bad.address }] },
      { name: "dead", backends: [{ address: deadAddress() }] },
      { name: "ws", backends: [{ address: ws.address }] },
    ],
  });
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  [ok, bad, ws].forEach((b) => b.stop());
});

/** The lines written to `file` so far. */
function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
}

/** The JSON line of request `id` in the default log, waiting (bounded) for its batch to land. */
async function lineOf(id: string): Promise<Record<string, unknown>> {
  const find = () => lines(FILES.all).map((l) => JSON.parse(l)).filter((o) => o.request_id === id);
  await until(() => find().length > 0, 3000);
  expect(find().length).toBe(1);
  return find()[0]!;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the default JSON line", () => {
  test("carries the target with its query, protocol, user agent, referer, backend, upstream status and time", async () => {
    const res = await call(n.port("web"), "/shop/items?color=red&size=9", {
      host: "shop.test", headers: { "user-agent": "curl/8.1 (tests)", referer: "https://ref.test/page?a=1", "x-request-id": "full-1" },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const e = await lineOf("full-1");
    expect(e).toMatchObject({
      listener: "web", client: "127.0.0.1", method: "GET", host: "shop.test", target: "/shop/items?color=red&size=9", path: "/shop/items",
      protocol: "HTTP/1.1", status: 200, pool: "app", backend: ok.address, upstream_status: 200, attempts: 1, retries: 0,
      user_agent: "curl/8.1 (tests)", referer: "https://ref.test/page?a=1",
    });
    expect(Object.keys(e)).toEqual([
      "time", "request_id", "listener", "client", "method", "host", "target", "path", "protocol", "status", "bytes_in", "bytes_out",
      "duration_ms", "pool", "backend", "upstream_status", "upstream_ms", "attempts", "retries", "user_agent", "referer",
    ]);
    expect(e.upstream_ms as number).toBeLessThanOrEqual(e.duration_ms as number);
  });

  test("says HTTP/1.0 for an HTTP/1.0 request", async () => {
    const c = await rawClient(n.port("web"));
    c.write("GET /old?x=1 HTTP/1.0\r\nHost: old.test\r\nX-Request-Id: ten-1\r\n\r\n");
    await c.waitClosed(3000);
    expect(c.text()).toStartWith("HTTP/1.1 200");
    expect(await lineOf("ten-1")).toMatchObject({ protocol: "HTTP/1.0", target: "/old?x=1", status: 200 });
  });

  test("a retried request says how many retries and which backend answered", async () => {
    // round robin over [bad, ok]: of two requests at least one goes to bad first and is retried on ok
    for (const id of ["retry-1", "retry-2"]) {
      const res = await call(n.port("web"), "/retry/x", { headers: { "x-request-id": id } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const logged = [await lineOf("retry-1"), await lineOf("retry-2")];
    const retried = logged.filter((e) => e.retries === 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    for (const e of retried) expect(e).toMatchObject({ route: "retry", pool: "flaky", backend: ok.address, upstream_status: 200, attempts: 2 });
  });

  test("the upstream status is the backend's; a proxy-made reply has none", async () => {
    await (await call(n.port("web"), "/down", { headers: { "x-request-id": "down-1" } })).arrayBuffer();
    expect(await lineOf("down-1")).toMatchObject({ status: 503, upstream_status: 503, backend: bad.address });
    await (await call(n.port("web"), "/gone", { headers: { "x-request-id": "gone-1" } })).arrayBuffer();
    const gone = await lineOf("gone-1");
    expect(gone).toMatchObject({ status: 502, error: "UPSTREAM_CONNECT_FAILED", route: "gone" });
    expect(gone.upstream_status).toBeUndefined();
  });

  test("generated request ids are UUIDv7: random, time-ordered, the one the backend saw", async () => {
    const before = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await call(n.port("web"), `/ids/${i}`);
      ids.push(((await res.json()) as { headers: Record<string, string> }).headers["x-request-id"]!);
    }
    for (const id of ids) expect(id).toMatch(UUID_V7);
    const ms = (id: string) => parseInt(id.replace(/-/g, "").slice(0, 12), 16);
    for (const id of ids) expect(Math.abs(ms(id) - before)).toBeLessThan(10_000);
    expect([...ids].sort()).toEqual(ids);
    // the last 62 bits are random: no two alike, and not a counter (ids one apart differ in many digits)
    const tails = ids.map((id) => id.slice(-12));
    expect(new Set(tails).size).toBe(ids.length);
    const differing = (a: string, b: string) => [...a].filter((ch, i) => ch !== b[i]).length;
    expect(Math.min(...tails.slice(1).map((t, i) => differing(t, tails[i]!)))).toBeGreaterThan(2);
    const e = await lineOf(ids[19]!);
    expect(e.target).toBe("/ids/19");
  });
});

test("a WebSocket is logged once, when it closes, with its bytes both ways and its duration", async () => {
  const c = await rawClient(n.port("web"));
  c.write("GET /chat?room=7 HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Request-Id: ws-1\r\n\r\n");
  await c.waitFor("hello", 3000);
  expect(c.text()).toStartWith("HTTP/1.1 101");
  c.write("ping-1234");
  await c.waitFor("helloping-1234", 3000);
  await Bun.sleep(300);
  // open for 300 ms and more: nothing logged yet (a batch lands within 100 ms)
  expect(lines(FILES.all).some((l) => JSON.parse(l).request_id === "ws-1")).toBe(false);
  c.end();
  const e = await lineOf("ws-1");
  // bytes after the 101: "ping-1234" in, "hello" then the echo out
  expect(e).toMatchObject({ status: 101, upstream_status: 101, route: "chat", target: "/chat?room=7", bytes_in: 9, bytes_out: 14 });
  expect(e.duration_ms as number).toBeGreaterThanOrEqual(300);
});

describe("chosen fields", () => {
  test("the text format writes the chosen fields in order, - for an absent one, quoting values with spaces", async () => {
    await (await call(n.port("plain"), "/a/b?q=1%202", { headers: { "user-agent": "Mozilla/5.0 (X11)" } })).arrayBuffer();
    await until(() => lines(FILES.text).length === 1, 3000);
    expect(lines(FILES.text)).toEqual(['200 GET /a/b?q=1%202 "Mozilla/5.0 (X11)" - HTTP/1.1']);
  });

  test("a JSON line carries exactly the chosen fields, in the order given", async () => {
    const res = await call(n.port("some"), "/x", { headers: { "x-request-id": "some-1" } });
    await res.arrayBuffer();
    await until(() => lines(FILES.some).length === 1, 3000);
    expect(lines(FILES.some)).toEqual(['{"status":200,"request_id":"some-1"}']);
  });

  test("an unknown field name is a 400 naming it, and nothing changes", async () => {
    const listener = { name: "more", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: { path: "stdout", fields: ["status", "agent"] } };
    const res = await fetch(`${n.node.url}/v1/listeners`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(listener) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string; message: string }[] } };
    expect(body.error.code).toBe("CONFIG_INVALID");
    expect(body.error.details).toEqual([{ path: "access_log.fields[1]", message: expect.stringContaining('unknown access log field "agent"') }]);
    const st = await n.status();
    expect(st.listeners.map((l: { name: string }) => l.name)).not.toContain("more");
  });
});
