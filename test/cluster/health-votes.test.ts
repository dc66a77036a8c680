/**
 * Shared health against real etcd: three nodes (each its own lease) publish verdicts on transitions
 * only; each node's own mirror of the votes yields the identical cluster verdict; a node that stops
 * takes its votes with it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  backendKey, clusterKeys, clusterVerdicts, decodeVotes, HealthPublisher, LeasedKeys, MemorySink, type EtcdClient, type PrefixMirror,
} from "../../src/cluster/index.ts";
import { startEtcd, stopAllEtcd } from "./helpers/etcd.ts";
import { startMirror, testClient, until } from "./helpers/mirrors.ts";

const keys = clusterKeys("/hv/");
let client: EtcdClient;
const mirrors: PrefixMirror[] = [];
const leases: LeasedKeys[] = [];

beforeAll(async () => {
  client = testClient([(await startEtcd()).url]);
});

afterAll(async () => {
  await Promise.all([...leases.map((l) => l.stop()), ...mirrors.map((m) => m.stop())]);
  client.close();
  await stopAllEtcd();
});

async function node(name: string) {
  const leased = new LeasedKeys({ client, ttlS: 2 });
  leases.push(leased);
  await leased.start();
  const votes = new MemorySink();
  const mirror = startMirror(client, keys.health, votes);
  mirrors.push(mirror);
  // Synced before anything is published, so every vote arrives as an event.
  await until(() => mirror.status.phase === "in_sync", 5000, "in sync");
  return { name, leased, health: new HealthPublisher(leased, keys, name), votes };
}

const verdictOf = (sink: MemorySink) => JSON.stringify([...clusterVerdicts(decodeVotes(sink.entries(), keys)).entries()]);

test("every node derives the same verdict from the same votes; only transitions are written; a stopped node's votes vanish", async () => {
  const nodes = await Promise.all(["lb-1", "lb-2", "lb-3"].map(node));
  const [a, b, c] = nodes as [Awaited<ReturnType<typeof node>>, Awaited<ReturnType<typeof node>>, Awaited<ReturnType<typeof node>>];
  for (let i = 0; i < 10; i++) {
    // Every probe reports; only the first of equal verdicts is a write.
    expect(a.health.publish("app", "10.0.0.1:80", false, "connect refused")).toBe(i === 0);
    b.health.publish("app", "10.0.0.1:80", false);
    c.health.publish("app", "10.0.0.1:80", true);
    for (const n of nodes) n.health.publish("app", "10.0.0.2:80", true);
  }
  await until(() => nodes.every((n) => n.votes.entries().length === 6), 5000, "six votes everywhere");
  expect(nodes.every((n) => n.votes.eventsApplied === 6)).toBe(true);
  const views = nodes.map((n) => verdictOf(n.votes));
  expect(new Set(views).size).toBe(1);
  const v = clusterVerdicts(decodeVotes(a.votes.entries(), keys));
  expect(v.get(backendKey("app", "10.0.0.1:80"))).toMatchObject({ healthy: false, down: ["lb-1", "lb-2"], up: ["lb-3"] });
  expect(v.get(backendKey("app", "10.0.0.2:80"))!.healthy).toBe(true);

  await b.leased.stop();
  await until(() => a.votes.entries().length === 4 && c.votes.entries().length === 4, 5000, "lb-2's votes gone");
  // 1 down of 2 voters is a tie: up under "majority".
  expect(clusterVerdicts(decodeVotes(c.votes.entries(), keys)).get(backendKey("app", "10.0.0.1:80"))!.healthy).toBe(true);
  expect(verdictOf(a.votes)).toBe(verdictOf(c.votes));

  a.health.forget("app", "10.0.0.2:80");
  await until(() => c.votes.entries().length === 3, 5000, "a forgotten vote deleted");
});
