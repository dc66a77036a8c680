/**
 * `access_log: "stdout"` on a real node: each request becomes exactly one JSON line on the node's
 * stdout, with the client, request, outcome, backend, attempts, timings and request id, the same
 * request id the backend received; a proxy-made error line carries its code; a listener without
 * access_log writes nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, call, removeTempDirs, seen, startNode, until, type L7Node } from "./helpers/l7-node.ts";

const be = backend("logged");
let n: L7Node;
let port = 0;
let quiet = 0;

beforeAll(async () => {
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: "stdout",
        routes: [{ name: "api", match: { path_prefix: "/api" }, pool: "app" }, { name: "nowhere", match: { path_prefix: "/none" }, pool: "off" }],
      },
      { name: "quiet", protocol: "http", address: "127.0.0.1:0", pool: "app" },
    ],
    pools: [
      { name: "app", backends: [{ address: be.address }] },
      { name: "off", backends: [{ address: be.address, state: "disabled" }] },
    ],
  });
  port = n.port("web");
  quiet = n.port("quiet");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  be.stop();
});

/** Every access log line (JSON objects with a request_id) printed so far. */
function logLines(): any[] {
  const out: any[] = [];
  for (const line of n.node.stdout().split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const o = JSON.parse(line);
      if (typeof o.request_id === "string") out.push(o);
    } catch {
      // not JSON: some other line that happens to start with a brace
    }
  }
  return out;
}

/** The line(s) of one request id, waiting (bounded) for the batched write to land. */
async function linesOf(id: string): Promise<any[]> {
  await until(() => logLines().some((l) => l.request_id === id), 3000);
  return logLines().filter((l) => l.request_id === id);
}

// `path` is logged without its query string (l7-hooks splits the target before logging)
test("a proxied request prints one JSON line with every field, and the backend saw the same request id", async () => {
  const res = await call(port, "/api/items?x=1", { method: "POST", body: "hello", host: "shop.test" });
  expect(res.status).toBe(200);
  const echo = await seen(res);
  const id = echo.headers["x-request-id"]!;
  expect(id).toBeTruthy();
  const lines = await linesOf(id);
  expect(lines.length).toBe(1);
  const e = lines[0]!;
  expect(Number.isNaN(Date.parse(e.time))).toBe(false);
  expect(Math.abs(Date.now() - Date.parse(e.time))).toBeLessThan(10_000);
  expect(e).toMatchObject({
    listener: "web", client: "127.0.0.1", method: "POST", host: "shop.test", path: "/api/items",
    status: 200, route: "api", pool: "app", backend: be.address, attempts: 1, request_id: id,
  });
  expect(e.bytes_in).toBeGreaterThanOrEqual(5);
  expect(e.bytes_out).toBeGreaterThan(0);
  expect(e.duration_ms).toBeGreaterThanOrEqual(0);
  expect(e.upstream_ms).toBeGreaterThanOrEqual(0);
  expect(e.upstream_ms).toBeLessThanOrEqual(e.duration_ms);
  expect(e.error).toBeUndefined();
});

test("a client's own x-request-id is the one logged", async () => {
  const res = await call(port, "/api/mine", { headers: { "x-request-id": "client-chosen-42" } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  const [e] = await linesOf("client-chosen-42");
  expect(e).toMatchObject({ method: "GET", path: "/api/mine", status: 200, backend: be.address });
});

test("a proxy-made error is logged with its status, code and pool, and no backend", async () => {
  const res = await call(port, "/none", { headers: { "x-request-id": "no-backend-1" } });
  expect(res.status).toBe(503);
  expect(res.headers.get("x-fulcrum-error")).toBe("NO_HEALTHY_BACKEND");
  await res.arrayBuffer();
  const [e] = await linesOf("no-backend-1");
  expect(e).toMatchObject({ status: 503, error: "NO_HEALTHY_BACKEND", route: "nowhere", pool: "off", attempts: 0 });
  expect(e.backend).toBeUndefined();
});

test("one line per request, and none for a listener without access_log", async () => {
  const ids = Array.from({ length: 5 }, (_, i) => `burst-${i}`);
  for (const id of ids) await (await call(port, "/api/burst", { headers: { "x-request-id": id } })).arrayBuffer();
  await (await call(quiet, "/api/silent", { headers: { "x-request-id": "quiet-1" } })).arrayBuffer();
  await until(() => ids.every((id) => logLines().some((l) => l.request_id === id)), 3000);
  // a batch lands within 100 ms; give the quiet one time it would need to show up
  await Bun.sleep(300);
  for (const id of ids) expect(logLines().filter((l) => l.request_id === id).length).toBe(1);
  expect(logLines().some((l) => l.request_id === "quiet-1")).toBe(false);
});
