/**
 * Issue 6, UDP through a real `fulcrum start` node: a flow keeps its backend when the pool grows
 * through the admin API, moves when its backend is removed, and expires after the listener's idle
 * timeout (/v1/status udp.flows back to 0). Echo backends tag every reply with their name.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { udpClient, udpEcho } from "../l4/helpers/udp.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

type Echo = Awaited<ReturnType<typeof udpEcho>>;
type Client = Awaited<ReturnType<typeof udpClient>>;
const echoes: Record<string, Echo> = {};
const clients: Client[] = [];
let node: ResilienceNode;
const addr = (name: string) => `127.0.0.1:${echoes[name]!.port}`;

beforeAll(async () => {
  for (const n of ["u0", "u1", "u2", "idle"]) echoes[n] = await udpEcho(n);
  node = await startNode({
    listeners: [
      // A long idle timeout: these flows must not expire between the steps of a test.
      { name: "udp-in", protocol: "udp", address: "127.0.0.1:0", pool: "u", idle_timeout_ms: 60_000 },
      { name: "udp-idle", protocol: "udp", address: "127.0.0.1:0", pool: "ui", idle_timeout_ms: 400 },
    ],
    pools: [
      { name: "u", algorithm: "maglev", hash_on: "five_tuple", backends: [{ address: addr("u0") }, { address: addr("u1") }] },
      { name: "ui", backends: [{ address: addr("idle") }] },
    ],
  });
});

afterAll(async () => {
  await node?.stop();
  clients.forEach((c) => c.close());
  Object.values(echoes).forEach((e) => e.stop());
});

async function newClients(n: number): Promise<Client[]> {
  const made = await Promise.all(Array.from({ length: n }, () => udpClient()));
  clients.push(...made);
  return made;
}

/** Each client sends `msg` once; resolves with the name of the backend that answered each. */
async function ask(cs: Client[], port: number, msg: string): Promise<string[]> {
  const before = cs.map((c) => c.replies.length);
  cs.forEach((c) => c.send(port, msg));
  await until(() => cs.every((c, i) => c.replies.length > before[i]!), 3000);
  return cs.map((c, i) => {
    const [name, body] = c.replies[before[i]!]!.split(":");
    expect(body).toBe(msg);
    return name!;
  });
}

test("flows keep their backend when a backend is added, and a removed backend's flows move", async () => {
  const port = await node.port("udp-in");
  const cs = await newClients(30);
  const home = await ask(cs, port, "first");
  expect(new Set(home)).toEqual(new Set(["u0", "u1"]));
  expect((await ask(cs, port, "again"))).toEqual(home);

  expect((await node.admin("POST", "/v1/pools/u/backends", { address: addr("u2") })).status).toBe(201);
  await until(async () => (await node.status()).pools.find((p: any) => p.name === "u").backends.length === 3, 3000);
  // Established flows stay put although the Maglev table changed under them...
  for (let k = 0; k < 3; k++) expect(await ask(cs, port, `after-add-${k}`)).toEqual(home);
  // ...while new flows do reach the added backend (30 new clients all missing it: ~1 in 200,000).
  const fresh = await ask(await newClients(30), port, "fresh");
  expect(fresh).toContain("u2");

  const gone = home[0]!;
  const del = await node.admin("DELETE", `/v1/pools/u/backends/${encodeURIComponent(addr(gone))}`);
  expect(del.status).toBeLessThan(300);
  await until(async () => (await node.status()).pools.find((p: any) => p.name === "u").backends.length === 2, 3000);
  // The removed backend still answers if asked, so a reply from it would show a flow that stayed.
  const now = await ask(cs, port, "after-remove");
  cs.forEach((_, i) => {
    if (home[i] === gone) expect(now[i]).not.toBe(gone);
    else expect(now[i]).toBe(home[i]!);
  });
  expect(now).not.toContain(gone);
}, 15_000);

test("flows expire after the listener's idle timeout and /v1/status shows no flows left", async () => {
  const port = await node.port("udp-idle");
  const udpOf = async () => (await node.status()).listeners.find((l: any) => l.name === "udp-idle").udp;
  const cs = await newClients(5);
  const sentAt = performance.now();
  expect(await ask(cs, port, "ping")).toEqual(["idle", "idle", "idle", "idle", "idle"]);
  expect((await udpOf()).flows).toBe(5);
  await until(async () => (await udpOf()).flows === 0, 3000);
  // Not at once: the sweeper's tick is a quarter of the timeout, so expiry comes 300-400 ms after.
  expect(performance.now() - sentAt).toBeGreaterThanOrEqual(290);
  expect((await udpOf()).flows_expired).toBe(5);
  // An expired client that speaks again gets a new flow and its reply.
  expect(await ask(cs.slice(0, 1), port, "back")).toEqual(["idle"]);
  expect((await udpOf()).flows_created).toBe(6);
});

test("a udp listener without idle_timeout_ms gets a 30 s idle timeout", () => {
  const pools = [{ name: "dns", backends: [{ address: "10.0.0.1:53" }] }];
  const listeners = [
    { name: "dns-in", protocol: "udp", address: "127.0.0.1:5353", pool: "dns" },
    { name: "tcp-in", protocol: "tcp", address: "127.0.0.1:5354", pool: "dns" },
  ];
  const snap = compileSnapshot(validateConfig({ listeners, pools }), 1);
  expect(snap.listeners.find((l) => l.name === "dns-in")!.idleTimeoutMs).toBe(30_000);
  // The tcp listener keeps its own (longer) default.
  expect(snap.listeners.find((l) => l.name === "tcp-in")!.idleTimeoutMs).toBeGreaterThan(30_000);
});
