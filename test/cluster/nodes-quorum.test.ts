/**
 * A 3-member etcd that loses its quorum (2 members stopped) under two real cluster nodes: the
 * nodes keep serving, a write gets 503 CLUSTER_UNAVAILABLE and leaves nothing behind, and once a
 * member returns their watches are back on a member with a leader and a write reaches both.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { backend, type Backend } from "../integration/helpers/l7-node.ts";
import { startEtcdCluster, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { clusters, eventually, startNode, type Node } from "./helpers/fulcrum-nodes.ts";

const PREFIX = "/quorum-test/";
const dir = mkdtempSync(join(tmpdir(), "fulcrum-quorum-"));
let members: EtcdMember[];
let nodes: Node[];
let origin: Backend;

beforeAll(async () => {
  members = await startEtcdCluster(3);
  origin = backend("origin");
  nodes = await Promise.all(["lb-a", "lb-b"].map((n) => startNode(members.map((m) => m.url), n, dir, PREFIX)));
  const config = {
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", backends: [{ address: origin.address }] }],
  };
  expect((await nodes[0]!.send("PUT", "/v1/config?wait=applied", config)).body.wait.applied).toEqual(["lb-a", "lb-b"]);
}, 60_000);

afterAll(async () => {
  await killAll();
  await stopAllEtcd();
  origin.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("quorum lost: nodes keep serving and writes get 503 with nothing written; a member back, watches move and writes reach every node", async () => {
  const [a, b] = nodes as [Node, Node];
  const before = await a.get("/v1/cluster");
  // Stop the members the nodes talk to (and one more if they share one): one member is left, without a leader.
  const used = new Set((await clusters(nodes)).map((cl) => cl.member as string));
  const stopped = [...members.filter((m) => used.has(m.url)), ...members.filter((m) => !used.has(m.url))].slice(0, 2);
  await Promise.all(stopped.map((m) => m.stop()));

  for (const n of nodes) {
    expect((await fetch(`http://127.0.0.1:${await n.port("web")}/`)).status).toBe(200);
    expect((await n.get("/readyz")).status).toBe("ready");
  }
  // Once the member left knows it has no leader, etcd takes no proposal: the write is refused whole.
  // (Sent before that, a leader that has not yet noticed may append it and commit it when a member
  // returns: the 503 then says the write may still be applied, as it must.)
  const left = members.find((m) => !stopped.includes(m))!;
  await eventually(async () => {
    const health = await fetch(`${left.url}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.json() as Promise<{ health?: string }>, () => ({ health: "?" }));
    expect(health.health).toBe("false");
    for (const cl of await clusters(nodes)) expect(cl.etcd).toBe("unreachable");
  }, 15_000);
  const w = await b.send("POST", "/v1/pools", { name: "no-quorum" });
  expect(w.status).toBe(503);
  expect(w.body.error.code).toBe("CLUSTER_UNAVAILABLE");
  expect(w.body.error.message).toContain("nothing was written");

  await stopped[0]!.restart();
  const r = await a.send("POST", "/v1/pools?wait=applied&timeout_ms=10000", { name: "quorum-back" });
  expect(r.status).toBe(201);
  expect(r.body.revision).toBe(before.revision + 1);
  expect(r.body.wait.applied).toEqual(["lb-a", "lb-b"]);
  await eventually(async () => {
    for (const cl of await clusters(nodes)) {
      expect(cl).toMatchObject({ etcd: "connected", config_from: "etcd", revision: r.body.revision });
      expect(cl.mirror.reconnects).toBeGreaterThan(0);
    }
  }, 10_000);
  const pools = (await b.get("/v1/config")).pools.map((p: any) => p.name);
  expect(pools).toContain("quorum-back");
  expect(pools).not.toContain("no-quorum");
}, 60_000);
