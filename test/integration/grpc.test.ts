/**
 * gRPC end to end through a real node, with Python's grpcio (Debian's python3-grpcio) as the
 * client and as the backend: the four call kinds with their metadata and trailers over h2c and
 * over TLS (ALPN h2 on both sides), a backend's error status passed on, deadlines, the proxy's own
 * errors as gRPC statuses (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED from grpc-timeout),
 * and a call retried only where no response head came back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { makeCert } from "./https-helpers.ts";
import { closeH2Sessions, h2Call } from "./helpers/h2-call.ts";
import { grpcCalls, startGrpcBackend, type GrpcBackend } from "./helpers/grpc.ts";
import { startH2Server, type H2TestServer } from "../h2/helpers/h2-server.ts";
import { deadAddress, removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-grpc-"));
let plain: GrpcBackend;
let secure: GrpcBackend;
/** A slow HTTP/2 backend that ignores grpc-timeout (grpcio enforces it itself, and would answer first). */
let slow: H2TestServer;
let n: L7Node;
const target = (listener: string) => `127.0.0.1:${n.port(listener)}`;

beforeAll(async () => {
  await makeCert(dir, "site", "localhost", "DNS:localhost,IP:127.0.0.1");
  const certFile = join(dir, "site.crt"), keyFile = join(dir, "site.key");
  [plain, secure] = await Promise.all([startGrpcBackend(), startGrpcBackend({ certFile, keyFile })]);
  const ca = readFileSync(certFile, "utf8");
  slow = startH2Server();
  const l = (name: string, pool: string, extra: Record<string, unknown> = {}) => ({ name, protocol: "http", address: "127.0.0.1:0", pool, ...extra });
  n = await startNode({
    listeners: [
      l("grpc", "h2c", { routes: [{ name: "slow", match: { path_prefix: "/delay/" }, pool: "slow" }] }),
      { name: "tls", protocol: "https", address: "127.0.0.1:0", pool: "h2tls", tls: { certificates: ["site"] } },
      l("dead", "dead"),
      l("limited", "h2c", { rate_limit: { rps: 0.01, burst: 1 } }),
      l("retry", "half", { routes: [{ name: "all", match: { path_prefix: "/" }, retries: { attempts: 2, on: ["connect_failure"], non_idempotent: true } }] }),
    ],
    pools: [
      { name: "h2c", protocol: "h2c", backends: [{ address: plain.address }] },
      { name: "slow", protocol: "h2c", backends: [{ address: `127.0.0.1:${slow.port}` }] },
      { name: "h2tls", protocol: "h2", tls: { ca_pem: ca, server_name: "localhost" }, backends: [{ address: secure.address }] },
      { name: "dead", protocol: "h2c", backends: [{ address: deadAddress() }] },
      { name: "half", protocol: "h2c", algorithm: "round_robin", backends: [{ address: deadAddress() }, { address: plain.address }] },
    ],
    certificates: [{ name: "site", cert_pem: ca, key_pem: readFileSync(keyFile, "utf8") }],
  });
});

afterAll(async () => {
  closeH2Sessions();
  await killAll();
  removeTempDirs();
  plain?.stop();
  secure?.stop();
  slow?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the four call kinds, metadata and trailers", () => {
  test("over h2c to an h2c pool: unary, server streaming, client streaming and bidirectional", async () => {
    const [unary, server, client, bidi] = await grpcCalls(target("grpc"), ["unary", "server_stream", "client_stream", "bidi"]);
    expect(unary).toMatchObject({ ok: true, messages: ["echo:hello"], initial: { "x-echo-meta": "m1" }, trailers: { "x-trailer": "t1" } });
    expect(server).toMatchObject({ ok: true, messages: ["part-0", "part-1", "part-2", "part-3", "part-4"], trailers: { "x-trailer": "stream-done" } });
    expect(client).toMatchObject({ ok: true, messages: ["a|bb|ccc"] });
    expect(bidi).toMatchObject({ ok: true, messages: ["re:x0", "re:x1", "re:x2", "re:x3"] });
  });

  test("over TLS end to end: an https listener (ALPN h2) to an h2 pool with its own CA", async () => {
    const out = await grpcCalls(target("tls"), ["unary", "bidi", "big"], join(dir, "site.crt"));
    expect(out.map((o) => o.ok)).toEqual([true, true, true]);
    expect(out[0]).toMatchObject({ messages: ["echo:hello"], trailers: { "x-trailer": "t1" } });
    expect(out[2]!.messages).toEqual([String(300_000 + 5)]);
  });

  test("a backend's error status, message and trailing metadata reach the client; a client deadline holds", async () => {
    const [fail, deadline] = await grpcCalls(target("grpc"), ["fail", "deadline"]);
    expect(fail).toMatchObject({ ok: false, code: "INVALID_ARGUMENT", details: "bad request, as asked", trailers: { "x-why": "told-to" } });
    expect(deadline).toMatchObject({ ok: false, code: "DEADLINE_EXCEEDED" });
  });
});

describe("errors the proxy makes are gRPC statuses", () => {
  test("no backend to reach: UNAVAILABLE, with x-fulcrum-error", async () => {
    const [out] = await grpcCalls(target("dead"), ["unary"]);
    expect(out).toMatchObject({ ok: false, code: "UNAVAILABLE" });
    expect(out!.trailers!["x-fulcrum-error"]).toMatch(/^UPSTREAM_/);
  });

  test("a rate limit: RESOURCE_EXHAUSTED", async () => {
    const [first, second] = await grpcCalls(target("limited"), ["unary", "unary"]);
    expect(first!.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, code: "RESOURCE_EXHAUSTED", trailers: { "x-fulcrum-error": "RATE_LIMITED" } });
  });

  test("grpc-timeout caps the wait: DEADLINE_EXCEEDED from the proxy (HTTP 200, grpc-status 4) in time", async () => {
    const t0 = performance.now();
    const res = await h2Call(n.port("grpc"), "/delay/2000", {
      method: "POST",
      headers: { "content-type": "application/grpc", te: "trailers", "grpc-timeout": "300m" },
      body: Buffer.from([0, 0, 0, 0, 0]),
    });
    const took = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(res.headers.get("grpc-status")).toBe("4");
    expect(res.headers.get("x-fulcrum-error")).toBe("UPSTREAM_TIMEOUT");
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1500); // not the backend's 2 s
  });
});

test("a call is retried where no response head came back (a refused connection), with non_idempotent", async () => {
  const out = await grpcCalls(target("retry"), ["unary", "unary", "unary", "unary"]);
  expect(out.map((o) => o.ok)).toEqual([true, true, true, true]);
});
