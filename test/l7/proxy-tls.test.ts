import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProxy, type UpstreamTls } from "../../src/l7/index.ts";
import { rawExchange, startOrigin } from "../helpers/origin.ts";

let dir = "";
let cert = "";
let key = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fulcrum-l7-tls-"));
  const gen = Bun.spawn(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")],
    { stdout: "ignore", stderr: "ignore" });
  expect(await gen.exited).toBe(0);
  cert = readFileSync(join(dir, "c.pem"), "utf8");
  key = readFileSync(join(dir, "k.pem"), "utf8");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a TLS listener terminates TLS and tells the backend X-Forwarded-Proto: https", async () => {
  const origin = startOrigin({ fetch: (req) => new Response(req.headers.get("x-forwarded-proto") ?? "none") });
  const proxy = startProxy({ hooks: { selectUpstream: () => ({ address: origin.address }) }, tls: { cert, key } });
  try {
    const res = await fetch(`https://127.0.0.1:${proxy.port}/`, { tls: { rejectUnauthorized: false } });
    expect(await res.text()).toBe("https");
  } finally {
    proxy.stop(true);
    origin.stop();
  }
});

test("upstream TLS: verified with the pool's CA and SNI name, refused without them, allowed with verify off", async () => {
  const backend = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert, key }, fetch: () => new Response("secure") });
  const address = `127.0.0.1:${backend.port}`;
  const through = async (tls: UpstreamTls) => {
    const p = startProxy({ hooks: { selectUpstream: () => ({ address, tls }) } });
    try {
      return (await rawExchange(p.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).text;
    } finally {
      p.stop(true);
    }
  };
  try {
    expect((await through({ serverName: "localhost", ca: cert })).endsWith("secure")).toBe(true);
    const refused = await through({ serverName: "localhost" });
    expect(refused.startsWith("HTTP/1.1 502 ")).toBe(true);
    expect(refused).toMatch(/x-fulcrum-error: UPSTREAM_(CONNECT_FAILED|RESET)\r\n/);
    expect((await through({ verify: false })).endsWith("secure")).toBe(true);
  } finally {
    backend.stop(true);
  }
});
