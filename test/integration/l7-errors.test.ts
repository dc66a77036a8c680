/**
 * The errors a client can see from a real node, each with its x-fulcrum-error, and the access log
 * line that says the same: 502 (backend reset), 503 NO_HEALTHY_BACKEND, 504 (response timeout),
 * 413 (max_body_bytes), 431 (huge headers), 400 (malformed, raw socket, nothing reaches a backend).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { backend, call, metric, startNode, until, removeTempDirs, tempDir, type L7Node } from "./helpers/l7-node.ts";

const dir = tempDir();
const LOG = join(dir, "access.log");
const ok = backend("ok");
const slow = backend("slow", async () => (await Bun.sleep(1500), new Response("late")));
let resetter: TCPSocketListener<undefined>;
let garbage: TCPSocketListener<undefined>;
let resetterBytes = 0;
let n: L7Node;
let web = 0;
let small = 0;

beforeAll(async () => {
  garbage = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s) => void s.write("SPDY/9 what\r\n\r\n") } });
  resetter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s, d) => ((resetterBytes += d.length), void s.end()) } });
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "ok", access_log: LOG,
        routes: [
          { name: "reset", match: { path_prefix: "/reset" }, pool: "reset" },
          { name: "garbage", match: { path_prefix: "/garbage" }, pool: "garbage" },
          { name: "off", match: { path_prefix: "/off" }, pool: "off" },
          { name: "slow", match: { path_prefix: "/slow" }, pool: "slow" },
          { name: "rtimeout", match: { path_prefix: "/rtimeout" }, pool: "patient", timeout_ms: 250 },
        ],
      },
      { name: "small", protocol: "http", address: "127.0.0.1:0", pool: "ok", max_body_bytes: 1000, access_log: LOG },
    ],
    pools: [
      { name: "ok", backends: [{ address: ok.address }] },
      { name: "reset", backends: [{ address: `127.0.0.1:${resetter.port}` }] },
      { name: "garbage", backends: [{ address: `127.0.0.1:${garbage.port}` }] },
      { name: "off", backends: [{ address: ok.address, state: "disabled" }] },
      { name: "slow", response_timeout_ms: 300, backends: [{ address: slow.address }] },
      { name: "patient", backends: [{ address: slow.address }] },
    ],
  }, dir);
  web = n.port("web");
  small = n.port("small");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  ok.stop();
  slow.stop();
  resetter?.stop(true);
  garbage?.stop(true);
});

function logLines(): Record<string, any>[] {
  try {
    return readFileSync(LOG, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  } catch {
    return []; // not created yet
  }
}

/** The access-log line for request id `id` (waits for it: the log is written after the response). */
async function logLine(id: string): Promise<Record<string, any>> {
  let found: Record<string, any> | undefined;
  await until(() => {
    let text = "";
    try {
      text = readFileSync(LOG, "utf8");
    } catch {
      return false; // not created yet
    }
    for (const line of text.split("\n")) if (line.includes(id)) found = JSON.parse(line);
    return found !== undefined;
  }, 3000);
  return found!;
}

/** A request with a known id; asserts status and error header, then the log line's fields. */
async function expectError(port: number, path: string, status: number, code: string, init: Parameters<typeof call>[2] = {}): Promise<Record<string, any>> {
  const id = `err-${code}-${Math.random().toString(36).slice(2)}`;
  const res = await call(port, path, { ...init, headers: { ...(init.headers as Record<string, string>), "x-request-id": id } });
  await res.text();
  expect(`${res.status} ${res.headers.get("x-fulcrum-error")}`).toBe(`${status} ${code}`);
  const line = await logLine(id);
  expect(line.status).toBe(status);
  expect(line.error).toBe(code);
  expect(line.path).toBe(path.split("?")[0]);
  return line;
}

describe("errors through a real node", () => {
  test("a successful request's access log line has every field the issue lists", async () => {
    const res = await call(web, "/fine?x=1", { host: "shop.test", headers: { "x-request-id": "log-ok-1" } });
    expect(res.status).toBe(200);
    const body = await res.text();
    const line = await logLine("log-ok-1");
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
    expect(line).toMatchObject({
      client: "127.0.0.1", method: "GET", host: "shop.test", path: "/fine", status: 200,
      backend: ok.address, attempts: 1, request_id: "log-ok-1", pool: "ok", listener: "web",
    });
    expect(line.bytes_out).toBe(Buffer.byteLength(body));
    expect(line.duration_ms).toBeGreaterThan(0);
    expect(line.upstream_ms).toBeGreaterThan(0);
    expect(line.upstream_ms).toBeLessThanOrEqual(line.duration_ms);
    expect(line.error).toBeUndefined();
  });

  test("a backend that resets the connection: 502", async () => {
    const line = await expectError(web, "/reset", 502, "UPSTREAM_RESET");
    expect(line.backend).toBe(`127.0.0.1:${resetter.port}`);
    expect(resetterBytes).toBeGreaterThan(0);
  });

  test("a backend that answers something other than HTTP: 502 UPSTREAM_PROTOCOL", async () => {
    const line = await expectError(web, "/garbage", 502, "UPSTREAM_PROTOCOL");
    expect(line.backend).toBe(`127.0.0.1:${garbage.port}`);
  });

  test("every backend disabled: 503 NO_HEALTHY_BACKEND", async () => {
    await expectError(web, "/off", 503, "NO_HEALTHY_BACKEND");
  });

  test("a backend slower than response_timeout_ms: 504 in about that time", async () => {
    const t0 = performance.now();
    const line = await expectError(web, "/slow", 504, "UPSTREAM_TIMEOUT");
    expect(performance.now() - t0).toBeLessThan(1200);
    expect(line.backend).toBe(slow.address);
    const t1 = performance.now();
    await expectError(web, "/rtimeout", 504, "UPSTREAM_TIMEOUT");
    expect(performance.now() - t1).toBeLessThan(1200); // the route's timeout_ms, not the default
  });

  test("a body above max_body_bytes: 413, declared or chunked", async () => {
    const before = ok.hits;
    await expectError(small, "/big", 413, "BODY_TOO_LARGE", { method: "POST", body: "x".repeat(5000) });
    expect(ok.hits).toBe(before);
    const chunked = await rawExchange(small, "POST /big2 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + `800\r\n${"y".repeat(2048)}\r\n0\r\n\r\n`);
    expect(chunked.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(chunked.text).toContain("x-fulcrum-error: BODY_TOO_LARGE");
    expect((await call(small, "/fits", { method: "POST", body: "z".repeat(900) })).status).toBe(200);
  });

  test("request headers above 64 KiB: 431", async () => {
    const before = ok.hits;
    const r = await rawExchange(web, `GET /huge HTTP/1.1\r\nHost: t\r\nx-big: ${"a".repeat(70 * 1024)}\r\n\r\n`);
    expect(r.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(r.text).toContain("x-fulcrum-error: HEADERS_TOO_LARGE");
    expect(r.closed).toBe(true);
    expect(ok.hits).toBe(before);
    await until(() => logLines().some((l) => l.status === 431 && l.error === "HEADERS_TOO_LARGE"), 3000);
  });

  test("malformed requests on a raw socket: 400, connection closed, nothing reaches a backend", async () => {
    const before = ok.hits;
    const cases = [
      "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : t\r\n\r\n",
      "G@T / HTTP/1.1\r\nHost: t\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    ];
    for (const c of cases) {
      const r = await rawExchange(web, c);
      expect(r.text).toMatch(/^HTTP\/1\.1 400 /);
      expect(r.text).toMatch(/x-fulcrum-error: [A-Z_]+/);
      expect(r.closed).toBe(true);
    }
    expect(ok.hits).toBe(before);
    // No request id exists for these: the log must still hold one 400 line per case with its code.
    await until(() => logLines().filter((l) => l.status === 400).length >= cases.length, 3000);
    for (const l of logLines().filter((x) => x.status === 400)) expect(l.error).toMatch(/^[A-Z_]+$/);
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_listener_http_requests_total{listener="web",class="4xx"}')).toBeGreaterThanOrEqual(cases.length + 1);
  });
});
