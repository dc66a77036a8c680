/**
 * Issue 5, upstream TLS per pool, end to end through a real node: TLS backends (a self-signed
 * certificate for backend.test, made with openssl) reached with the pool's `tls` setting; verified
 * by default against `ca_pem` with `server_name` as SNI and checked name; a wrong name, no CA, or
 * plain HTTP to a TLS port is a 502, never a 500; `verify: false` accepts any certificate; http
 * health checks of a TLS pool speak TLS and judge the certificate as the traffic does.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCert } from "./https-helpers.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

let dir = "";
let node: ResilienceNode;
let port = 0;
let caPem = "";
const servers: ReturnType<typeof Bun.serve>[] = [];
const healthProbes = [0, 0];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fulcrum-upstream-tls-"));
  await makeCert(dir, "backend", "backend.test", "DNS:backend.test");
  caPem = readFileSync(join(dir, "backend.crt"), "utf8");
  const tls = { cert: caPem, key: readFileSync(join(dir, "backend.key"), "utf8") };
  for (const i of [0, 1]) {
    servers.push(
      Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        tls,
        fetch(req) {
          if (new URL(req.url).pathname === "/healthz") {
            healthProbes[i]!++;
            return new Response("ok");
          }
          return new Response(`b${i}`);
        },
      }),
    );
  }
  const [b0, b1] = servers.map((s) => ({ address: `127.0.0.1:${s.port}` }));
  const route = (name: string, pool: string) => ({ name, match: { path_prefix: `/${name}` }, pool });
  node = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0",
        routes: [route("good", "good"), route("wrong", "wrongname"), route("noverify", "noverify"), route("system", "systemca"), route("plain", "plain")],
      },
    ],
    pools: [
      {
        name: "good", tls: { server_name: "backend.test", ca_pem: caPem },
        health_check: { type: "http", path: "/healthz", interval_ms: 100, timeout_ms: 100, healthy_threshold: 1, unhealthy_threshold: 1, initial: "pessimistic" },
        backends: [b0, b1],
      },
      { name: "wrongname", tls: { server_name: "wrong.test", ca_pem: caPem }, backends: [b0] },
      { name: "noverify", tls: { verify: false }, backends: [b0] },
      { name: "systemca", tls: { server_name: "backend.test" }, backends: [b0] },
      { name: "plain", backends: [b0] },
      {
        name: "wrongchecked", tls: { server_name: "wrong.test", ca_pem: caPem },
        health_check: { type: "http", path: "/healthz", interval_ms: 100, timeout_ms: 100, healthy_threshold: 1, unhealthy_threshold: 1 },
        backends: [b1],
      },
    ],
  });
  port = await node.port("web");
});

afterAll(async () => {
  await node?.stop();
  servers.forEach((s) => s.stop(true));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });

test("a pool with tls reaches its backends over verified TLS, spread by its algorithm", async () => {
  // pessimistic start: traffic waits for the TLS health checks to pass
  for (const s of servers) await until(async () => (await node.backend("good", `127.0.0.1:${s.port}`))?.health === "healthy", 5000);
  const bodies: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await get("/good");
    expect(res.status).toBe(200);
    bodies.push(await res.text());
  }
  expect(new Set(bodies)).toEqual(new Set(["b0", "b1"]));
  expect(healthProbes[0]).toBeGreaterThan(0); // the probes spoke TLS: the backends only speak TLS
  expect(healthProbes[1]).toBeGreaterThan(0);
});

test("a certificate that does not match server_name, or is not trusted, is a 502; verify: false accepts it", async () => {
  for (const path of ["/wrong", "/system"]) {
    const res = await get(path);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-fulcrum-error")).toMatch(/^UPSTREAM_/);
    await res.text();
  }
  const ok = await get("/noverify");
  expect(ok.status).toBe(200);
  expect(await ok.text()).toBe("b0");
});

test("plain HTTP to a TLS backend is a 502, not a hang or a 500", async () => {
  const res = await get("/plain");
  expect(res.status).toBe(502);
  await res.text();
});

test("an http health check judges the certificate as the traffic does: a wrong name is unhealthy", async () => {
  await until(async () => (await node.backend("wrongchecked", `127.0.0.1:${servers[1]!.port}`))?.health === "unhealthy", 5000);
});

test("the config refuses tls on a pool an L4 listener uses, and a ca_pem that is not PEM, naming the field", async () => {
  const l4 = await node.admin("POST", "/v1/listeners", { name: "raw", protocol: "tcp", address: "127.0.0.1:0", pool: "good" });
  expect(l4.status).toBe(400);
  // Named relative to the listener the request sent.
  expect(((await l4.json()) as any).error.details.map((d: any) => d.path)).toEqual(["pool"]);
  const bad = await node.admin("POST", "/v1/pools", { name: "badca", tls: { ca_pem: "not a certificate" }, backends: [] });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(await bad.json())).toContain("tls.ca_pem");
});
