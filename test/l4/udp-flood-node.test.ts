/**
 * A flood of new UDP clients through a real `fulcrum start` node: a udp listener with a small flow
 * table (udp.max_flows) and a maglev pool hashing the 5-tuple. Live flows keep their replies, the
 * flood reaches the backends statelessly with each client on one backend, and /v1/status and
 * /metrics show the counters. One worker: udp.max_flows bounds each worker's flow table (as
 * nginx's worker_connections), and this test is about one table filling up.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";
import { udpClient, until } from "./helpers/udp.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-udp-flood-"));
const backends: { tag: string; sock: dgram.Socket; payloads: string[] }[] = [];
const cleanups: (() => void)[] = [];
let node: StartedNode;
let port = 0;

interface Status {
  listeners: { address: string; udp?: Record<string, number> }[];
}
const status = async (): Promise<Status> => (await (await fetch(`${node.url}/v1/status`)).json()) as Status;

async function backend(tag: string): Promise<number> {
  const b = { tag, sock: dgram.createSocket("udp4"), payloads: [] as string[] };
  b.sock.on("message", (m, r) => {
    b.payloads.push(m.toString());
    b.sock.send(`${tag}:${m.toString()}`, r.port, r.address);
  });
  await new Promise<void>((resolve) => b.sock.bind(0, "127.0.0.1", () => resolve()));
  backends.push(b);
  return b.sock.address().port;
}

beforeAll(async () => {
  const ports = [await backend("u0"), await backend("u1")];
  const config = {
    listeners: [{ name: "udp-in", protocol: "udp", address: "127.0.0.1:0", pool: "udp-echo", udp: { max_flows: 8, min_idle_ms: 60_000 } }],
    pools: [{
      name: "udp-echo",
      algorithm: "maglev",
      hash_on: "five_tuple",
      // Stateless datagrams take a breaker slot only while chosen: 8 flows + a 200-datagram flood fit in 20.
      circuit_breaker: { max_connections: 20 },
      backends: ports.map((p) => ({ address: `127.0.0.1:${p}` })),
    }],
  };
  writeFileSync(join(dir, "fulcrum.json"), JSON.stringify(config));
  node = await startFulcrum(["--config", join(dir, "fulcrum.json"), "--db", join(dir, "fulcrum.db"), "--workers", "1"]);
  port = Number((await status()).listeners[0]!.address.split(":").pop());
});

afterAll(async () => {
  await killAll();
  cleanups.forEach((c) => c());
  backends.forEach((b) => b.sock.close());
});

test("a flooding client stays on one backend of a maglev pool while live flows keep their replies", async () => {
  const live = await Promise.all(Array.from({ length: 8 }, () => udpClient()));
  const flood = await Promise.all(Array.from({ length: 40 }, () => udpClient()));
  cleanups.push(() => [...live, ...flood].forEach((c) => c.close()));
  live.forEach((c, i) => c.send(port, `e${i}-0`));
  await until(() => live.every((c) => c.replies.length === 1), "live flows' first replies");
  for (let k = 0; k < 5; k++) {
    flood.forEach((c, i) => c.send(port, `f${i}-${k}`));
    live.forEach((c, i) => c.send(port, `e${i}-${k + 1}`));
    await until(() => live.every((c) => c.replies.length === k + 2), `live flows' replies in flood round ${k}`);
  }
  const floodAt = (b: (typeof backends)[number]) => b.payloads.filter((p) => p.startsWith("f"));
  await until(() => floodAt(backends[0]!).length + floodAt(backends[1]!).length === 200, "the whole flood at the backends");

  for (const c of live) expect(new Set(c.replies.map((r) => r.split(":")[0])).size).toBe(1);
  expect(flood.every((c) => c.replies.length === 0)).toBe(true);
  const home = flood.map((_, i) => backends.filter((b) => b.payloads.includes(`f${i}-0`)).map((b) => b.tag));
  flood.forEach((_, i) => {
    expect(home[i]!.length).toBe(1);
    for (let k = 1; k < 5; k++) expect(backends.find((b) => b.tag === home[i]![0])!.payloads).toContain(`f${i}-${k}`);
  });
  expect(new Set(home.map((h) => h[0])).size).toBe(2); // the hash spreads clients over both backends

  expect((await status()).listeners[0]!.udp).toMatchObject({ flows: 8, flows_created: 8, flows_evicted: 0, stateless_datagrams: 200, datagrams_dropped: 0 });
  const metrics = await (await fetch(`${node.url}/metrics`)).text();
  expect(metrics).toContain('fulcrum_listener_udp_stateless_datagrams_total{listener="udp-in"} 200');
  expect(metrics).toContain('fulcrum_listener_udp_flows{listener="udp-in"} 8');
  expect(metrics).toMatch(/# HELP fulcrum_listener_udp_stateless_replies_dropped_total \S/);
  expect(metrics).toMatch(/fulcrum_listener_udp_stateless_replies_dropped_total\{listener="udp-in"\} \d+/);
}, 20_000);
