import { afterEach, expect, test } from "bun:test";
import type { UdpFlowEnd, UdpRelayOptions, UpstreamAddress } from "../../src/l4/index.ts";
import { testClients, testRelay, udpEcho, until } from "./helpers/udp.ts";

type Named = UpstreamAddress & { name: string };
const cleanups: (() => unknown)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

async function echo(name: string): Promise<Named & { received: () => number }> {
  const e = await udpEcho(name);
  cleanups.push(e.stop);
  return { name, host: "127.0.0.1", port: e.port, received: e.received };
}

const relay = (opts: Partial<UdpRelayOptions<Named>> & Pick<UdpRelayOptions<Named>, "choose">) => testRelay<Named>(cleanups, opts);

const clients = (n: number) => testClients(cleanups, n);

test("1,000 flows each get their own replies, spread over the backends", async () => {
  const backends = [await echo("a"), await echo("b")];
  const r = await relay({ choose: (f) => backends[f.clientPort % 2] });
  const cs = await clients(1000);
  // UDP may drop a burst of 1,000 datagrams at a socket buffer; clients resend, as real ones do.
  let sends = 0;
  for (let round = 0; round < 20 && !cs.every((c) => c.replies.length > 0); round++) {
    cs.forEach((c, i) => c.replies.length === 0 && (sends++, c.send(r.port, `client-${i}`)));
    await until(() => cs.every((c) => c.replies.length > 0), "a reply for every client", 300).catch(() => {});
  }
  cs.forEach((c, i) => {
    expect(c.replies.length).toBeGreaterThan(0);
    for (const reply of c.replies) expect(reply).toBe(`${c.port % 2 === 0 ? "a" : "b"}:client-${i}`);
  });
  expect(r.stats).toMatchObject({ flows: 1000, created: 1000 });
  console.log(`1,000 UDP flows: ${sends} datagrams sent for 1,000 replies; relay dropped ${r.stats.dropped}`);
  expect(Math.min(backends[0]!.received(), backends[1]!.received())).toBeGreaterThan(350);
}, 20_000);

test("expires an idle flow, reports it, and starts a new flow on the next datagram", async () => {
  const a = await echo("a");
  const ends: UdpFlowEnd[] = [];
  const r = await relay({ idleTimeoutMs: 150, choose: () => a, hooks: { onFlowClose: (_f, _b, why) => ends.push(why) } });
  const [c] = await clients(1);
  c!.send(r.port, "one");
  await until(() => c!.replies.length === 1, "first reply");
  await until(() => r.stats.flows === 0, "expiry", 2000);
  expect(ends).toEqual(["idle"]);
  c!.send(r.port, "two");
  await until(() => c!.replies.length === 2, "second reply");
  expect(r.stats.created).toBe(2);
});

test("keeps existing flows on their backend when a backend is added", async () => {
  const pool: Named[] = [await echo("a"), await echo("b")];
  const r = await relay({ choose: (f) => pool[f.clientPort % pool.length] });
  const cs = await clients(60);
  cs.forEach((c) => c.send(r.port, "x"));
  await until(() => cs.every((c) => c.replies.length === 1), "first replies");
  pool.push(await echo("c"));
  cs.forEach((c) => c.send(r.port, "y"));
  await until(() => cs.every((c) => c.replies.length === 2), "second replies");
  for (const c of cs) expect(c.replies[1]!.split(":")[0]).toBe(c.replies[0]!.split(":")[0]);
  const fresh = await clients(30);
  fresh.forEach((c) => c.send(r.port, "z"));
  await until(() => fresh.every((c) => c.replies.length === 1), "new flow replies");
  expect(fresh.some((c) => c.replies[0]!.startsWith("c:"))).toBe(true);
});

test("with min_idle_ms 0, a full table evicts its least recently active flow", async () => {
  const a = await echo("a");
  const r = await relay({ maxFlows: 10, minIdleMs: 0, choose: () => a });
  const cs = await clients(15);
  for (const c of cs) {
    c.send(r.port, "hi");
    await until(() => c.replies.length === 1, "reply");
  }
  expect(r.stats).toMatchObject({ flows: 10, evicted: 5, created: 15, stateless: 0 });
});

test("closeFlows moves a removed backend's flows to a new choice", async () => {
  const a = await echo("a");
  const b = await echo("b");
  let current: Named = a;
  const r = await relay({ choose: () => current });
  const [c] = await clients(1);
  c!.send(r.port, "1");
  await until(() => c!.replies.length === 1, "reply from a");
  current = b;
  expect(r.closeFlows((backend) => backend.name === "a")).toBe(1);
  c!.send(r.port, "2");
  await until(() => c!.replies.length === 2, "reply from b");
  expect(c!.replies).toEqual(["a:1", "b:2"]);
});
