/**
 * A full UDP flow table under a flood of new client addresses: live flows are never evicted, the
 * flood still reaches the backends (statelessly, through one shared socket per backend), and an
 * idle flow does make room for a new client.
 */
import { afterEach, expect, test } from "bun:test";
import dgram from "node:dgram";
import type { UdpFlowEnd, UdpRelayOptions, UpstreamAddress } from "../../src/l4/index.ts";
import { testClients, testRelay, until } from "./helpers/udp.ts";

/** An echo backend (replies `${name}:${payload}`) that remembers every payload and source port. */
interface Traced extends UpstreamAddress {
  name: string;
  payloads: string[];
  sources: Set<number>;
}

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

async function traced(name: string): Promise<Traced> {
  const sock = dgram.createSocket("udp4");
  const t: Traced = { name, host: "127.0.0.1", port: 0, payloads: [], sources: new Set() };
  sock.on("message", (m, r) => {
    t.payloads.push(m.toString());
    t.sources.add(r.port);
    sock.send(`${name}:${m.toString()}`, r.port, r.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  t.port = sock.address().port;
  cleanups.push(() => sock.close());
  return t;
}

const relay = (opts: Partial<UdpRelayOptions<Traced>> & Pick<UdpRelayOptions<Traced>, "choose">) => testRelay<Traced>(cleanups, opts);

const clients = (n: number) => testClients(cleanups, n);

test("a flood of 500 new clients neither evicts live flows nor opens sockets for them, yet reaches the backends", async () => {
  const a = await traced("a");
  const b = await traced("b");
  const byPort = (port: number) => (port % 2 === 0 ? a : b);
  let noFlow = 0;
  const r = await relay({
    maxFlows: 8,
    minIdleMs: 60_000,
    choose: (f) => byPort(f.clientPort),
    hooks: { onNoFlow: (f, be) => void (noFlow += be === byPort(f.clientPort) && f.bytesIn === `f${noFlow}`.length ? 1 : 0) },
  });
  const live = await clients(8);
  live.forEach((c, i) => c.send(r.port, `e${i}-0`));
  await until(() => live.every((c) => c.replies.length === 1), "established flows' first replies");
  expect(r.stats).toMatchObject({ flows: 8, created: 8 });

  const flood = await clients(500);
  // Batches of 50 (plus one datagram per live flow), so no loopback socket buffer overflows.
  for (let k = 0; k < 10; k++) {
    flood.slice(k * 50, k * 50 + 50).forEach((c, j) => c.send(r.port, `f${k * 50 + j}`));
    live.forEach((c, i) => c.send(r.port, `e${i}-${k + 1}`));
    await until(() => live.every((c) => c.replies.length === k + 2), `live flows' replies in flood batch ${k}`, 3000);
  }
  const total = 8 + 500 + 8 * 10;
  await until(() => a.payloads.length + b.payloads.length === total, "every datagram at a backend", 3000);
  await until(() => r.stats.statelessRepliesDropped === 500, "the flood's echoes dropped at the shared sockets", 3000);

  expect(r.stats).toMatchObject({ flows: 8, created: 8, evicted: 0, stateless: 500, dropped: 0, datagramsIn: total, datagramsOut: 88 });
  live.forEach((c, i) => {
    const tag = byPort(c.port).name;
    expect(c.replies).toEqual(Array.from({ length: 11 }, (_, k) => `${tag}:e${i}-${k}`));
  });
  expect(flood.every((c) => c.replies.length === 0)).toBe(true);
  expect(noFlow).toBe(500); // once per stateless datagram, with its backend and size
  // Each flood datagram went where choose sent it, through one shared socket per backend.
  for (const be of [a, b]) {
    for (const p of be.payloads) if (p.startsWith("f")) expect(byPort(flood[Number(p.slice(1))]!.port)).toBe(be);
    expect(be.payloads.filter((p) => p.startsWith("f")).length).toBeGreaterThan(150);
    expect(be.sources.size).toBe(live.filter((c) => byPort(c.port) === be).length + 1);
  }
}, 20_000);

test("a new client evicts the least recently active flow only once it has been idle min_idle_ms", async () => {
  const a = await traced("a");
  const ends: [number, UdpFlowEnd][] = [];
  const r = await relay({ maxFlows: 4, minIdleMs: 400, choose: () => a, hooks: { onFlowClose: (f, _b, why) => ends.push([f.clientPort, why]) } });
  const cs = await clients(5);
  for (const c of cs.slice(0, 4)) {
    c.send(r.port, "hi");
    await until(() => c.replies.length === 1, "reply");
  }
  // Every flow is live: the fifth client is forwarded statelessly and gets no reply.
  cs[4]!.send(r.port, "early");
  await until(() => r.stats.statelessRepliesDropped === 1, "the stateless datagram's echo, dropped");
  expect(r.stats).toMatchObject({ flows: 4, evicted: 0, stateless: 1 });
  expect(a.payloads).toContain("early");

  await Bun.sleep(500); // all four idle now; three of them come back to life
  for (const c of cs.slice(1, 4)) {
    c.send(r.port, "again");
    await until(() => c.replies.length === 2, "reply");
  }
  // The fifth client's next datagram tries the table again: the idle first flow makes room.
  cs[4]!.send(r.port, "late");
  await until(() => cs[4]!.replies.length === 1, "a real flow's reply");
  expect(cs[4]!.replies).toEqual(["a:late"]);
  expect(ends).toEqual([[cs[0]!.port, "evicted"]]);
  expect(r.stats).toMatchObject({ flows: 4, evicted: 1, created: 5, stateless: 1 });
  // The evicted client now finds only live flows: stateless, until one idles.
  cs[0]!.send(r.port, "back");
  await until(() => r.stats.stateless === 2, "stateless again");
  expect(r.stats.evicted).toBe(1);
});

test("closeFlows also closes a removed backend's shared stateless socket", async () => {
  const a = await traced("a");
  const b = await traced("b");
  let current = a;
  const r = await relay({ maxFlows: 1, minIdleMs: 60_000, choose: () => current });
  const [held, flooder] = await clients(2);
  held!.send(r.port, "hold");
  await until(() => held!.replies.length === 1, "held flow's reply", 3000);
  flooder!.send(r.port, "s1");
  await until(() => a.payloads.includes("s1"), "stateless datagram at a", 3000);
  current = b;
  expect(r.closeFlows((backend, flow) => flow === undefined && backend === a)).toBe(0);
  flooder!.send(r.port, "s2");
  await until(() => b.payloads.includes("s2"), "stateless datagram at b", 3000);
  current = a;
  flooder!.send(r.port, "s3");
  await until(() => a.payloads.includes("s3"), "s3 at a, through a new shared socket", 3000);
  // a's shared socket was closed and opened afresh: a second stateless source port at a.
  expect(a.sources.size).toBe(3);
  expect(r.stats).toMatchObject({ flows: 1, stateless: 3 });
});

test("limits passed as undefined take their defaults (min_idle_ms 1,000: a full table of live flows goes stateless)", async () => {
  const a = await traced("a");
  const r = await relay({ maxFlows: 2, minIdleMs: undefined, idleTimeoutMs: undefined, choose: () => a });
  const cs = await clients(3);
  for (const c of cs) c.send(r.port, "x");
  await until(() => a.payloads.length === 3, "three datagrams at the backend", 3000);
  expect(r.stats).toMatchObject({ flows: 2, created: 2, evicted: 0, stateless: 1 });
});
