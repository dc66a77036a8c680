/**
 * Pools that speak HTTP/2 to their backends (protocol h2c, and h2 over TLS with ALPN), through a
 * real node: requests multiplexed as streams of few connections, the backend's
 * max_concurrent_streams honoured by opening more, max_connections counting connections, a
 * backend's graceful GOAWAY costing clients nothing, trailers relayed to HTTP/1.1 clients, and
 * health checks (http over HTTP/2, and grpc.health.v1) speaking the pool's protocol. One worker:
 * each worker keeps its own upstream connections (as each nginx worker its keepalive ones), and
 * these tests count connections.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { rawExchange } from "../helpers/origin.ts";
import { startH2Server, type H2TestServer } from "../h2/helpers/h2-server.ts";
import { testCert, type TestCert } from "../h2/helpers/tls-cert.ts";
import { closeH2Sessions, h2Call } from "./helpers/h2-call.ts";
import { grpcCalls, startGrpcBackend, type GrpcBackend } from "./helpers/grpc.ts";
import { call, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";

let cert: TestCert;
let wide: H2TestServer, narrow: H2TestServer, capped: H2TestServer, tls: H2TestServer, drained: H2TestServer;
/** The health-checked pools' own backends (probe connections would spoil the others' counts). */
let checked: H2TestServer, tlsChecked: H2TestServer;
let grpc: GrpcBackend;
let n: L7Node;
const servers: H2TestServer[] = [];

function server(opts: Parameters<typeof startH2Server>[0] = {}): H2TestServer {
  const s = startH2Server(opts);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  cert = await testCert();
  wide = server();
  narrow = server({ h2: { maxConcurrentStreams: 2 } });
  capped = server({ h2: { maxConcurrentStreams: 2 } });
  tls = server({ tls: { cert: cert.cert, key: cert.key } });
  drained = server();
  checked = server();
  tlsChecked = server({ tls: { cert: cert.cert, key: cert.key } });
  grpc = await startGrpcBackend();
  const l = (name: string, pool: string) => ({ name, protocol: "http", address: "127.0.0.1:0", pool });
  const check = (type: string, extra: Record<string, unknown> = {}) => ({
    type, interval_ms: 150, timeout_ms: 150, healthy_threshold: 1, unhealthy_threshold: 1, ...extra,
  });
  n = await startNode({
    listeners: [l("wide", "wide"), l("narrow", "narrow"), l("capped", "capped"), l("tls", "tls"), l("drained", "drained")],
    pools: [
      { name: "wide", protocol: "h2c", backends: [{ address: `127.0.0.1:${wide.port}` }] },
      { name: "narrow", protocol: "h2c", backends: [{ address: `127.0.0.1:${narrow.port}` }] },
      {
        name: "capped", protocol: "h2c", connect_timeout_ms: 3000,
        circuit_breaker: { max_connections: 1, max_pending_requests: 8 }, backends: [{ address: `127.0.0.1:${capped.port}` }],
      },
      { name: "tls", protocol: "h2", tls: { ca_pem: cert.cert, server_name: "localhost" }, backends: [{ address: `127.0.0.1:${tls.port}` }] },
      { name: "drained", protocol: "h2c", backends: [{ address: `127.0.0.1:${drained.port}` }] },
      { name: "httpcheck", protocol: "h2c", health_check: check("http", { path: "/status/200" }), backends: [{ address: `127.0.0.1:${checked.port}` }] },
      { name: "badpath", protocol: "h2c", health_check: check("http", { path: "/status/503" }), backends: [{ address: `127.0.0.1:${checked.port}` }] },
      { name: "tlscheck", protocol: "h2", tls: { ca_pem: cert.cert, server_name: "localhost" }, health_check: check("http"), backends: [{ address: `127.0.0.1:${tlsChecked.port}` }] },
      { name: "grpccheck", protocol: "h2c", health_check: check("grpc"), backends: [{ address: grpc.address }] },
    ],
  }, undefined, ["--workers", "1"]);
});

afterAll(async () => {
  closeH2Sessions();
  await killAll();
  removeTempDirs();
  for (const s of servers) s.stop();
  grpc?.stop();
  cert?.remove();
});

/** `count` requests for `path` at once, over HTTP/1.1 (each its own client connection) or HTTP/2. */
async function burst(port: number, path: string, count: number, h2 = false): Promise<number[]> {
  return await Promise.all(Array.from({ length: count }, async () => {
    const res = h2 ? await h2Call(port, path) : await call(port, path);
    await res.arrayBuffer();
    return res.status;
  }));
}

describe("multiplexed connections", () => {
  test("60 concurrent requests (HTTP/1.1 and HTTP/2 clients) share one backend connection", async () => {
    const before = wide.counters.streams;
    const statuses = [...(await burst(n.port("wide"), "/delay/100", 30)), ...(await burst(n.port("wide"), "/delay/100", 30, true))];
    expect(statuses).toEqual(Array(60).fill(200));
    expect(wide.counters.connections).toBe(1);
    expect(wide.counters.streams - before).toBe(60);
  });

  test("the backend's max_concurrent_streams (2) is honoured: 10 at once take 5 connections, none refused", async () => {
    expect(await burst(n.port("narrow"), "/delay/300", 10, true)).toEqual(Array(10).fill(200));
    expect(narrow.counters.connections).toBe(5);
    expect(narrow.counters.refusedStreams).toBe(0);
  });

  test("max_connections 1 counts connections: 6 requests share it 2 streams at a time, the rest wait", async () => {
    const t0 = performance.now();
    expect(await burst(n.port("capped"), "/delay/300", 6, true)).toEqual(Array(6).fill(200));
    expect(capped.counters.connections).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3 * 300 - 50); // three rounds of two
  });

  test("h2 over TLS: ALPN h2 to a backend verified with the pool's CA", async () => {
    const res = await call(n.port("tls"), "/status/201");
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("status 201\n");
    expect(tls.counters.connections).toBe(1);
  });

  test("a backend's graceful GOAWAY: streams in flight finish, new requests go to a new connection", async () => {
    const port = n.port("drained");
    expect((await call(port, "/")).status).toBe(200);
    const inflight = burst(port, "/delay/400", 3, true);
    await Bun.sleep(100);
    drained.shutdown();
    await Bun.sleep(50);
    expect(await burst(port, "/", 4, true)).toEqual([200, 200, 200, 200]);
    expect(await inflight).toEqual([200, 200, 200]);
    expect(drained.counters.connections).toBe(2);
  });
});

test("response trailers of an HTTP/2 backend reach an HTTP/1.1 client as a chunked trailer", async () => {
  const req = "POST /echo HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\nte: trailers\r\nconnection: close\r\n\r\n"
    + "5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n";
  const r = await rawExchange(n.port("wide"), req);
  expect(r.text).toStartWith("HTTP/1.1 200 OK\r\n");
  expect(r.text.toLowerCase()).toContain("\r\ntransfer-encoding: chunked\r\n");
  expect(r.text).toEndWith("\r\n5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n");
});

describe("health checks speak the pool's protocol", () => {
  const health = async (pool: string) => {
    const st = await n.status();
    return st.pools.find((p: any) => p.name === pool)?.backends[0]?.health as string | undefined;
  };

  test("http checks over h2c and over h2 (TLS): the expected status passes, another fails", async () => {
    await until(async () => (await health("httpcheck")) === "healthy" && (await health("badpath")) === "unhealthy" && (await health("tlscheck")) === "healthy", 5000);
  });

  test("grpc checks (grpc.health.v1): NOT_SERVING turns the backend unhealthy, SERVING brings it back", async () => {
    await until(async () => (await health("grpccheck")) === "healthy", 5000);
    await grpcCalls(grpc.address, ["serving_off"]);
    await until(async () => (await health("grpccheck")) === "unhealthy", 5000);
    await grpcCalls(grpc.address, ["serving_on"]);
    await until(async () => (await health("grpccheck")) === "healthy", 5000);
  });
});
