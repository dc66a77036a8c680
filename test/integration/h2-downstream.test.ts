/**
 * HTTP/2 from clients through a real node to HTTP/1.1 backends: h2 by ALPN on an https listener,
 * h2c by prior knowledge on an http one (and refused where `h2c: false`), with real clients
 * (curl, nghttp, h2load): multiplexing, bodies both ways under flow control, request trailers,
 * split cookies joined for HTTP/1.1, and HTTP/1.1 still served on the same listeners.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { run } from "../h2/helpers/run.ts";
import { makeCert } from "./https-helpers.ts";
import { closeH2Sessions, h2Call } from "./helpers/h2-call.ts";
import { backend, metric, removeTempDirs, startNode, until, type Backend, type L7Node } from "./helpers/l7-node.ts";
import { scriptedBackend, type ScriptedBackend } from "./helpers/scripted-backend.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-h2d-"));
let be: Backend;
let raw: ScriptedBackend;
let n: L7Node;
let tlsPort = 0;
let plain = 0;
let noH2c = 0;
const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  await makeCert(dir, "site", "localhost", "DNS:localhost,IP:127.0.0.1");
  be = backend("h1", (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/big") return new Response(Buffer.alloc(Number(u.searchParams.get("n")), 0x61));
    if (u.pathname === "/echo") return req.arrayBuffer().then((b) => new Response(b));
    return undefined; // the tagged JSON echo
  });
  raw = scriptedBackend(() => ({ parts: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] }));
  n = await startNode({
    listeners: [
      { name: "tls", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site"] } },
      {
        name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: join(dir, "access.log"),
        routes: [{ name: "raw", match: { path_prefix: "/raw" }, pool: "raw" }],
      },
      { name: "noh2c", protocol: "http", address: "127.0.0.1:0", pool: "app", h2c: false },
      { name: "small", protocol: "http", address: "127.0.0.1:0", pool: "app", max_body_bytes: 1000 },
    ],
    pools: [{ name: "app", backends: [{ address: be.address }] }, { name: "raw", backends: [{ address: raw.address }] }],
    certificates: [{ name: "site", cert_pem: readFileSync(join(dir, "site.crt"), "utf8"), key_pem: readFileSync(join(dir, "site.key"), "utf8") }],
  });
  tlsPort = n.port("tls");
  plain = n.port("plain");
  noH2c = n.port("noh2c");
});

afterAll(async () => {
  closeH2Sessions();
  await killAll();
  removeTempDirs();
  be?.stop();
  raw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const caFile = () => join(dir, "site.crt");

describe("curl", () => {
  test("--http2 negotiates h2 by ALPN on an https listener; HTTP/1.1 clients still get HTTP/1.1 there", async () => {
    const r = await run(["curl", "-sS", "-v", "--http2", "--cacert", caFile(), `https://localhost:${tlsPort}/x?y=1`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("ALPN: server accepted h2");
    expect(r.stderr).toContain("< HTTP/2 200");
    const seen = JSON.parse(r.stdout);
    expect(seen.target).toBe("/x?y=1");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers.host).toBe(`localhost:${tlsPort}`);
    const h1 = await run(["curl", "-sS", "-v", "--http1.1", "--cacert", caFile(), `https://localhost:${tlsPort}/`]);
    expect(h1.stderr).toContain("< HTTP/1.1 200");
  });

  test("--http2-prior-knowledge speaks h2c on an http listener; HTTP/1.1 on the same port still works", async () => {
    const r = await run(["curl", "-sS", "-i", "--http2-prior-knowledge", `http://127.0.0.1:${plain}/p`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("HTTP/2 200");
    expect(r.stdout).toContain("x-backend: h1");
    const h1 = await run(["curl", "-sS", "-i", `http://127.0.0.1:${plain}/p`]);
    expect(h1.stdout).toStartWith("HTTP/1.1 200");
  });

  test("a listener with h2c: false parses the preface as HTTP/1.1 and refuses it", async () => {
    const r = await rawExchange(noH2c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    expect(r.text).toStartWith("HTTP/1.1 400 ");
    expect(r.closed).toBe(true);
  });

  test("a 3 MiB upload and an 8 MB download pass whole (flow control towards clients and backends)", async () => {
    const body = randomBytes(3 << 20);
    const file = join(dir, "up.bin"), out = join(dir, "down.bin");
    writeFileSync(file, body);
    const up = await run(["curl", "-sS", "--http2-prior-knowledge", "--data-binary", `@${file}`, "-o", out, `http://127.0.0.1:${plain}/echo`], 30_000);
    expect(up.code).toBe(0);
    expect(sha(readFileSync(out))).toBe(sha(body));
    const down = await run(["curl", "-sS", "--http2", "--cacert", caFile(), "-o", "/dev/null", "-w", "%{size_download} %{http_version}", `https://localhost:${tlsPort}/big?n=8000000`], 30_000);
    expect(down.stdout).toBe("8000000 2");
  }, 40_000);
});

describe("nghttp and h2load", () => {
  test("nghttp multiplexes 50 requests on one connection", async () => {
    const r = await run(["nghttp", "-n", "-s", "-m", "50", `http://127.0.0.1:${plain}/m`]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/ 200 /g)?.length).toBe(50);
  });

  test("request trailers travel to an HTTP/1.1 backend in a chunked body", async () => {
    const file = join(dir, "t.txt");
    writeFileSync(file, "with trailers");
    const r = await run(["nghttp", "-d", file, "--trailer", "x-checksum: abc123", `http://127.0.0.1:${plain}/echo`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("with trailers");
  });

  test("h2load: 3,000 requests over 8 connections × 10 streams all succeed, over h2c and TLS", async () => {
    for (const url of [`http://127.0.0.1:${plain}/`, `https://127.0.0.1:${tlsPort}/`]) {
      const r = await run(["h2load", "-n", "3000", "-c", "8", "-m", "10", url], 60_000);
      expect(r.stdout).toContain("status codes: 3000 2xx");
      expect(r.stdout).toMatch(/requests: 3000 total, 3000 started, 3000 done, 3000 succeeded, 0 failed, 0 errored/);
    }
  }, 60_000);
});

describe("HTTP/2 requests as HTTP/1.1 backends see them", () => {
  test("split cookie fields are joined into one Cookie line; :authority becomes Host", async () => {
    const res = await h2Call(plain, "/raw/c", { host: "shop.test", headers: { cookie: ["a=1", "b=2"] as unknown as string } });
    expect(await res.text()).toBe("ok");
    const head = raw.requests.at(-1)!.head.toLowerCase();
    expect(head.match(/\r\ncookie: /g)?.length).toBe(1);
    expect(head).toContain("\r\ncookie: a=1; b=2\r\n");
    expect(head).toStartWith("get /raw/c http/1.1\r\n");
    expect(head).toMatch(/\r\nhost: shop\.test(\r\n|$)/);
    expect(head).toContain("\r\nx-forwarded-host: shop.test\r\n");
  });

  test("a body of no declared length goes chunked; a declared one keeps its length", async () => {
    const chunked = await h2Call(plain, "/b", { method: "POST", body: "no-length" });
    expect(((await chunked.json()) as { body: string }).body).toBe("no-length");
    const sized = await h2Call(plain, "/b", { method: "PUT", body: "sized", headers: { "content-length": "5" } });
    const seen = (await sized.json()) as { body: string; headers: Record<string, string> };
    expect(seen.body).toBe("sized");
    expect(seen.headers["content-length"]).toBe("5");
  });
});

test("an upload answered before it ended (413) is told to stop (RST_STREAM NO_ERROR); the connection carries on", async () => {
  const port = n.port("small");
  const big = await h2Call(port, "/up", { method: "POST", body: "x".repeat(300_000) });
  expect(big.status).toBe(413);
  expect(big.headers.get("x-fulcrum-error")).toBe("BODY_TOO_LARGE");
  const sized = await h2Call(port, "/up", { method: "POST", body: "y".repeat(50_000), headers: { "content-length": "50000" } });
  expect(sized.status).toBe(413);
  expect((await h2Call(port, "/after")).status).toBe(200);
});

test("HTTP/2 requests are logged and counted like HTTP/1.1 ones (access log, /metrics)", async () => {
  const before = metric(await n.metrics(), 'fulcrum_listener_http_requests_total{listener="plain",class="2xx"}');
  const res = await h2Call(plain, "/logged?q=1", { headers: { "x-request-id": "h2-log-test" } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  const lines = () => {
    try {
      return readFileSync(join(dir, "access.log"), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return []; // not flushed yet
    }
  };
  await until(() => lines().some((l) => l.request_id === "h2-log-test"));
  const line = lines().find((l) => l.request_id === "h2-log-test")!;
  expect(line).toMatchObject({ listener: "plain", method: "GET", path: "/logged", status: 200, pool: "app", backend: be.address });
  expect(metric(await n.metrics(), 'fulcrum_listener_http_requests_total{listener="plain",class="2xx"}')).toBeGreaterThan(before);
});
