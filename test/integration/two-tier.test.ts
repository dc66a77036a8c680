/**
 * The seed design's two-tier pattern with Fulcrum alone: a `tcp` listener (the Maglev L4 tier)
 * sends PROXY v2 to an `http` listener (the L7 tier) that accepts it from the L4 tier only, so the
 * backend sees the real client address end to end.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";

let node: StartedNode;
const backend = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (req) => new Response(JSON.stringify({ xff: req.headers.get("x-forwarded-for"), forwarded: req.headers.get("forwarded") })),
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${node.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function listenerPort(name: string): Promise<number> {
  const st = (await (await fetch(`${node.url}/v1/status`)).json()) as { listeners: { name: string; address: string; bound: boolean }[] };
  const l = st.listeners.find((x) => x.name === name)!;
  expect(l.bound).toBe(true);
  return Number(l.address.split(":").pop());
}

/** One HTTP/1.1 request over a socket bound to `localAddress`; resolves to the raw response. */
function requestFrom(localAddress: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = net.connect({ host: "127.0.0.1", port, localAddress }, () => s.write("GET / HTTP/1.1\r\nhost: two-tier\r\nconnection: close\r\n\r\n"));
    const timer = setTimeout(() => (s.destroy(), reject(new Error("no response in time"))), 5000);
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => (clearTimeout(timer), resolve(got)));
    s.on("error", reject);
  });
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-2tier-"));
  const config = {
    listeners: [{ name: "l7", protocol: "http", address: "127.0.0.1:0", pool: "app", proxy_protocol: { accept_from: ["127.0.0.1/32"] } }],
    pools: [{ name: "app", backends: [{ address: `127.0.0.1:${backend.port}` }] }],
  };
  writeFileSync(join(dir, "c.json"), JSON.stringify(config));
  node = await startFulcrum(["--config", join(dir, "c.json"), "--db", join(dir, "f.db")]);
  const l7Port = await listenerPort("l7");
  expect((await post("/v1/pools", { name: "l7-tier", algorithm: "maglev", backends: [{ address: `127.0.0.1:${l7Port}` }] })).status).toBe(201);
  const l4 = { name: "l4", protocol: "tcp", address: "127.0.0.1:0", pool: "l7-tier", proxy_protocol: { send: "v2" } };
  expect((await post("/v1/listeners", l4)).status).toBe(201);
});

afterAll(async () => {
  await killAll();
  backend.stop(true);
});

test("the backend sees the real client address through the L4 tier and the L7 tier", async () => {
  const res = await requestFrom("127.0.0.2", await listenerPort("l4"));
  expect(res.startsWith("HTTP/1.1 200")).toBe(true);
  const body = JSON.parse(res.slice(res.indexOf("\r\n\r\n") + 4));
  expect(body.xff).toBe("127.0.0.2");
  expect(body.forwarded).toContain("for=127.0.0.2");
});

test("a client that skips the L4 tier (no PROXY header) is closed without an answer", async () => {
  const res = await requestFrom("127.0.0.1", await listenerPort("l7"));
  expect(res).toBe("");
});

test("a peer outside accept_from is closed even with a well-formed PROXY header", async () => {
  const port = await listenerPort("l7");
  const res = await new Promise<string>((resolve, reject) => {
    let got = "";
    const s = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.3" }, () =>
      s.write(`PROXY TCP4 10.9.9.9 127.0.0.1 5555 ${port}\r\nGET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
    );
    const timer = setTimeout(() => (s.destroy(), reject(new Error("not closed in time"))), 5000);
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => (clearTimeout(timer), resolve(got)));
    s.on("error", () => {});
  });
  expect(res).toBe("");
});
