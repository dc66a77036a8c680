/**
 * Issue 6, L4 balancing through a real `fulcrum start` node: one tcp listener per algorithm over
 * the same three echo backends (each reply starts with the backend's tag), checked by where real
 * connections land.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { echoBackend } from "../l4/helpers/backends.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";
import { tagged, tally } from "./helpers-l4/tag-client.ts";

const backends = [echoBackend("b0|"), echoBackend("b1|"), echoBackend("b2|")];
const ALL = ["b0|", "b1|", "b2|"];
const POOLS: Record<string, object> = {
  "maglev-src": { algorithm: "maglev", hash_on: "source_ip" },
  "maglev-5t": { algorithm: "maglev", hash_on: "five_tuple" },
  "least": { algorithm: "least_connections" },
  "random": { algorithm: "random" },
  "p2c": { algorithm: "power_of_two" },
};
let node: ResilienceNode;
const ports: Record<string, number> = {};

beforeAll(async () => {
  const names = Object.keys(POOLS);
  node = await startNode({
    listeners: names.map((n) => ({ name: n, protocol: "tcp", address: "127.0.0.1:0", pool: n })),
    pools: names.map((n) => ({ name: n, ...POOLS[n], backends: backends.map((b) => ({ address: `127.0.0.1:${b.port}` })) })),
  });
  for (const n of names) ports[n] = await node.port(n);
});

afterAll(async () => {
  await node?.stop();
  backends.forEach((b) => b.stop(true));
});

describe("maglev", () => {
  test("hash_on source_ip: every connection from one client address lands on one backend", async () => {
    const home = new Map<string, string>();
    for (let ip = 1; ip <= 10; ip++) {
      const localAddress = `127.0.0.${ip}`;
      const counts = await tally(6, (i) => tagged(ports["maglev-src"]!, `src${ip}-${i}`, { localAddress }));
      expect(counts.size).toBe(1);
      home.set(localAddress, [...counts.keys()][0]!);
    }
    // Ten addresses hashed over three backends: all on one would be a 1-in-20,000 chance.
    expect(new Set(home.values()).size).toBeGreaterThan(1);
    // The same address keeps its backend on a later visit.
    const again = await tagged(ports["maglev-src"]!, "again", { localAddress: "127.0.0.7" });
    expect(again.tag).toBe(home.get("127.0.0.7")!);
  });

  test("hash_on five_tuple: connections from one address spread over all three backends", async () => {
    const counts = await tally(60, (i) => tagged(ports["maglev-5t"]!, `ft-${i}`));
    expect([...counts.keys()].sort()).toEqual(ALL);
  });
});

test("least_connections: three held connections get one backend each, the fourth goes to the least loaded", async () => {
  const held = [];
  for (let i = 0; i < 3; i++) held.push(await tagged(ports.least!, `hold-${i}`, { keepOpen: true }));
  expect(held.map((h) => h.tag).sort()).toEqual(ALL);
  // Free one backend: the next connection must go there, the other two each still hold one.
  held[1]!.socket.end();
  await held[1]!.closed;
  const freed = held[1]!.tag;
  const freedAddr = `127.0.0.1:${backends[Number(freed[1])]!.port}`;
  await until(async () => (await node.backend("least", freedAddr)).active_connections === 0, 3000);
  const next = await tagged(ports.least!, "next");
  expect(next.tag).toBe(freed);
  for (const h of held) h.socket.destroy();
});

test.each(["random", "p2c"])("%s: sixty connections use all three backends", async (name) => {
  const counts = await tally(60, (i) => tagged(ports[name]!, `${name}-${i}`));
  expect([...counts.keys()].sort()).toEqual(ALL);
  // No backend takes more than 2/3 of them (a 1-in-10^5 tail for a fair pick).
  for (const c of counts.values()) expect(c).toBeLessThanOrEqual(40);
});
