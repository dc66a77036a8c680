/**
 * handshake_timeout_ms through a real node (issue 11 item 1). On an https listener a client that
 * connects and sends nothing, one that sends half a ClientHello, and one that announces a 16 KB
 * record and sends 100 bytes of it are each closed after about the configured 500 ms, with no byte
 * sent back, and counted in /metrics and /v1/status. A tls_passthrough listener uses the same
 * field for its ClientHello. A client that does complete its handshake is served, and the header
 * timeout (not the handshake one) then applies to it. Deadlines run on a coarse clock (an L7 sweep
 * every 250 ms, an L4 tick of a quarter of the limit), hence the bounds.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import tls from "node:tls";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { isLbError } from "../../src/errors.ts";
import { killAll } from "../helpers/process.ts";
import { makeCert } from "../l4/helpers/tls.ts";
import { backend, metric, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";

const HANDSHAKE_MS = 500;
const SWEEP_MS = 250;
const site = makeCert("site.test");
const ok = backend("ok");
let node: L7Node;
let https = 0;
let passthrough = 0;

/** A TLS backend for the passthrough listener. */
const tlsOrigin = Bun.listen({ hostname: "127.0.0.1", port: 0, tls: site, socket: { data() {} } });

beforeAll(async () => {
  node = await startNode({
    listeners: [
      { name: "web", protocol: "https", address: "127.0.0.1:0", pool: "ok", tls: { certificates: ["site"] }, handshake_timeout_ms: HANDSHAKE_MS, header_timeout_ms: 1500 },
      { name: "pass", protocol: "tls_passthrough", address: "127.0.0.1:0", pool: "tls", handshake_timeout_ms: HANDSHAKE_MS },
    ],
    pools: [
      { name: "ok", backends: [{ address: ok.address }] },
      { name: "tls", backends: [{ address: `127.0.0.1:${tlsOrigin.port}` }] },
    ],
    certificates: [{ name: "site", cert_pem: site.cert, key_pem: site.key }],
  });
  https = node.port("web");
  passthrough = node.port("pass");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  ok.stop();
  tlsOrigin.stop(true);
});

/** Connects, sends `bytes`, and waits (at most 4 s) for the node to close; what came back and when. */
async function stall(port: number, bytes: Buffer): Promise<{ closed: boolean; elapsedMs: number; received: number }> {
  let received = 0;
  let closed = false;
  const t0 = performance.now();
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data: (_s, d) => void (received += d.length), close: () => void (closed = true), error() {} },
  });
  if (bytes.length > 0) sock.write(bytes);
  while (!closed && performance.now() - t0 < 4000) await Bun.sleep(10);
  const elapsedMs = performance.now() - t0;
  if (!closed) sock.end();
  return { closed, elapsedMs, received };
}

const SILENT = Buffer.alloc(0);
// A handshake record header announcing 512 bytes, then the first 4 of a ClientHello that needs 65,536.
const HALF_HELLO = Buffer.from("160301020001000200", "hex");
// A record header promising 16 KB (0x4000) of handshake, then 100 bytes of it.
const SHORT_RECORD = Buffer.concat([Buffer.from("1603014000", "hex"), Buffer.alloc(100, 0x01)]);

function expectCutAtTimeout(r: { closed: boolean; elapsedMs: number; received: number }): void {
  expect(r.closed).toBe(true);
  expect(r.received).toBe(0); // no answer: not an alert, not an HTTP 408
  expect(r.elapsedMs).toBeGreaterThanOrEqual(HANDSHAKE_MS - SWEEP_MS - 20);
  expect(r.elapsedMs).toBeLessThan(HANDSHAKE_MS + SWEEP_MS + 700);
}

/** Completes a TLS handshake with the https listener and sends `request` (if any); resolves when it closes (≤ 4 s). */
function tlsClient(request: string | null): Promise<{ text: string; handshakeMs: number; closedMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let handshakeMs = 0;
    let text = "";
    const sock = tls.connect({ host: "127.0.0.1", port: https, servername: "site.test", ca: site.cert });
    const timer = setTimeout(() => sock.destroy(), 4000);
    sock.on("secureConnect", () => {
      handshakeMs = performance.now() - t0;
      if (request !== null) sock.write(request);
    });
    sock.on("data", (d: Buffer) => void (text += d.toString("latin1")));
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      if (handshakeMs === 0) return reject(new Error("TLS handshake did not complete"));
      resolve({ text, handshakeMs, closedMs: performance.now() - t0 });
    });
  });
}

describe("https listener", () => {
  test("a client that connects and sends nothing is closed at handshake_timeout_ms, unanswered", async () => {
    expectCutAtTimeout(await stall(https, SILENT));
  });

  test("half a ClientHello is closed at handshake_timeout_ms, unanswered", async () => {
    expectCutAtTimeout(await stall(https, HALF_HELLO));
  });

  test("a record header promising 16 KB followed by 100 bytes is closed at handshake_timeout_ms, unanswered", async () => {
    expectCutAtTimeout(await stall(https, SHORT_RECORD));
  });

  test("each one is counted in /metrics and in the listener's /v1/status", async () => {
    await until(async () => metric(await node.metrics(), 'fulcrum_listener_handshake_timeouts_total{listener="web"}') === 3);
    const st = await node.status();
    const web = st.listeners.find((l: { name: string }) => l.name === "web");
    expect(web.handshake_timeouts).toBe(3);
  });

  test("a completed handshake is served, and then the header timeout applies, not the handshake one", async () => {
    const served = await tlsClient("GET /fine HTTP/1.1\r\nhost: site.test\r\nconnection: close\r\n\r\n");
    expect(served.text).toMatch(/^HTTP\/1\.1 200 /);
    // A client that completes its handshake and then sends nothing lives on to header_timeout_ms (1.5 s).
    const idle = await tlsClient(null);
    expect(idle.closedMs - idle.handshakeMs).toBeGreaterThan(1500 - SWEEP_MS - 20);
    expect(metric(await node.metrics(), 'fulcrum_listener_handshake_timeouts_total{listener="web"}')).toBe(3);
  });
});

describe("tls_passthrough listener", () => {
  test("the same field closes a silent client and a short ClientHello at handshake_timeout_ms, counted", async () => {
    const [silent, half] = await Promise.all([stall(passthrough, SILENT), stall(passthrough, HALF_HELLO)]);
    for (const r of [silent, half]) {
      expect(r.closed).toBe(true);
      expect(r.received).toBe(0);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(HANDSHAKE_MS - 150);
      expect(r.elapsedMs).toBeLessThan(HANDSHAKE_MS + 700);
    }
    await until(async () => metric(await node.metrics(), 'fulcrum_listener_handshake_timeouts_total{listener="pass"}') === 2);
    const pass = (await node.status()).listeners.find((l: { name: string }) => l.name === "pass");
    expect(pass.handshake_timeouts).toBe(2);
  });
});

describe("handshake_timeout_ms in the config", () => {
  const doc = (listener: Record<string, unknown>) => ({
    listeners: [{ name: "l", address: "127.0.0.1:0", pool: "p", ...listener }],
    pools: [{ name: "p", backends: [{ address: "127.0.0.1:9" }] }],
    certificates: [{ name: "site", cert_pem: site.cert, key_pem: site.key }],
  });

  test("defaults to 10,000 ms on https and tls_passthrough listeners, like header_timeout_ms", () => {
    for (const protocol of ["https", "tls_passthrough"]) {
      const snap = compileSnapshot(validateConfig(doc({ protocol, ...(protocol === "https" ? { tls: { certificates: ["site"] } } : {}) })), 1);
      expect(snap.listeners[0]!.handshakeTimeoutMs).toBe(10_000);
    }
  });

  test("is refused, naming the field, where there is no handshake to time out", () => {
    for (const listener of [{ protocol: "http" }, { protocol: "tcp" }, { protocol: "udp" }]) {
      let problem: unknown;
      try {
        validateConfig(doc({ ...listener, handshake_timeout_ms: 500 }));
      } catch (e) {
        problem = e;
      }
      expect(isLbError(problem, "CONFIG_INVALID")).toBe(true);
      expect(JSON.stringify((problem as { details?: unknown }).details)).toContain("listeners[0].handshake_timeout_ms");
    }
    // a tcp listener that reads PROXY headers has one: the header's wait
    expect(() => validateConfig(doc({ protocol: "tcp", handshake_timeout_ms: 500, proxy_protocol: { accept_from: ["127.0.0.1/32"] } }))).not.toThrow();
  });
});
