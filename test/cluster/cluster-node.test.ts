/**
 * ClusterNode against real etcd: what the phase-2 wiring relies on. A write on one node is one
 * revision on every node and readable at once on the writer; racing writers get one winner and the
 * loser already sees it; ?wait=applied reports applied, refused (with the reason) and pending
 * nodes; a duplicate name refuses to start; with etcd down a node serves from its SQLite mirror
 * (writes 503) and registers when etcd returns, and without a mirror it fails naming the endpoints.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterNode, SHARD_COUNT, type ClusterNodeOptions } from "../../src/cluster/index.ts";
import { validateConfig } from "../../src/config/index.ts";
import { isLbError } from "../../src/errors.ts";
import { sameDoc } from "../../src/config/index.ts";
import { genConfig } from "../helpers/config-gen.ts";
import { PROGRESS_INTERVAL_MS, startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { until } from "./helpers/mirrors.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-node-"));
let etcd: EtcdMember;
const nodes = new Set<ClusterNode>();

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  await Promise.all([...nodes].map((n) => n.stop()));
  await stopAllEtcd();
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, extra: Partial<ClusterNodeOptions> = {}): Promise<ClusterNode> {
  const n = await ClusterNode.start({
    endpoints: [etcd.url], name, adminUrl: `http://127.0.0.1:1/${name}`, version: "0.1.0", dbPath: join(dir, `${name}.db`),
    root: "/cn/", ttlS: 2, watchdogMs: 3 * PROGRESS_INTERVAL_MS, requestTimeoutMs: 1000, deadlineMs: 2000, ...extra,
  });
  nodes.add(n);
  return n;
}

async function stop(n: ClusterNode) {
  nodes.delete(n);
  await n.stop();
}

describe("ClusterNode", () => {
  test("a write on one node: one revision, readable at once on the writer, the same on the other node", async () => {
    const a = await start("lb-a");
    const b = await start("lb-b");
    const doc = validateConfig(genConfig(21));
    const r = await a.write(doc, { summary: "PUT /v1/config" });
    expect(a.config().revision).toBe(r.revision);
    expect(sameDoc(a.config().doc, doc)).toBe(true);
    await until(() => b.config().revision === r.revision, 5000, "lb-b at the revision");
    expect(sameDoc(b.config().doc, doc)).toBe(true);
    expect(b.config().history.at(-1)).toMatchObject({ revision: r.revision, node: "lb-a", source: "api", summary: "PUT /v1/config" });
    await until(() => a.nodes().length === 2, 5000, "both registered");
    expect(a.nodes().map((n) => [n.name, n.admin_url])).toEqual([["lb-a", "http://127.0.0.1:1/lb-a"], ["lb-b", "http://127.0.0.1:1/lb-b"]]);
  });

  test("racing writes from two nodes on one revision: one wins, the loser's mirror already holds the winner", async () => {
    const [a, b] = [await start("lb-a2"), await start("lb-b2")];
    await until(() => a.config().revision === b.config().revision, 5000, "the same revision");
    const base = a.config().revision;
    const add = (n: string) => validateConfig({ ...a.config().doc, pools: [...a.config().doc.pools, { name: n }] });
    const results = await Promise.allSettled([a.write(add("race-a"), { summary: "a", expectRevision: base }), b.write(add("race-b"), { summary: "b", expectRevision: base })]);
    const won = results.findIndex((x) => x.status === "fulfilled");
    const lost = results[1 - won] as PromiseRejectedResult;
    expect(won).toBeGreaterThanOrEqual(0);
    expect(isLbError(lost.reason, "PRECONDITION_FAILED")).toBe(true);
    const loser = won === 0 ? b : a;
    expect(loser.config().revision).toBe(base + 1);
  });

  test("?wait=applied: applied, refused with the reason, and pending nodes", async () => {
    const [a, b, c] = [await start("lb-w1"), await start("lb-w2"), await start("lb-w3")];
    await until(() => a.nodes().filter((n) => n.name.startsWith("lb-w")).length === 3, 5000, "three nodes");
    const r = await a.write(validateConfig({ ...a.config().doc, pools: [...a.config().doc.pools, { name: "wait-test" }] }), { summary: "w" });
    a.registry.applied(r.revision);
    b.registry.refused(r.revision, "listener web: cannot bind 127.0.0.1:80: permission denied");
    const t0 = Date.now();
    const report = await a.waitApplied(r.revision, 800);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    const mine = (xs: string[]) => xs.filter((n) => n.startsWith("lb-w"));
    expect(mine(report.applied)).toEqual(["lb-w1"]);
    expect(report.refused.filter((x) => x.node.startsWith("lb-w"))).toEqual([{ node: "lb-w2", revision: r.revision, reason: "listener web: cannot bind 127.0.0.1:80: permission denied" }]);
    expect(mine(report.pending)).toEqual(["lb-w3"]);
    await Promise.all([stop(b), stop(c)]);
  });

  test("other nodes' acks are watched only while asked: a wait starts the feed, it stops after its linger, a later wait starts it again", async () => {
    // A root of their own: a wait waits for every live node, and earlier tests' nodes never apply these.
    const [a, b] = [await start("lb-f1", { ackLingerMs: 300, root: "/cn-feed/" }), await start("lb-f2", { ackLingerMs: 300, root: "/cn-feed/" })];
    await until(() => a.nodes().length === 2, 5000, "both nodes");
    expect([a.acks.running, b.acks.running]).toEqual([false, false]);
    const add = (name: string) => validateConfig({ ...a.config().doc, pools: [...a.config().doc.pools, { name }] });
    for (const [i, pool] of ["feed-1", "feed-2"].entries()) {
      const r = await a.write(add(pool), { summary: pool });
      a.registry.applied(r.revision);
      await until(() => b.config().revision === r.revision, 5000, "lb-f2 at the revision");
      b.registry.applied(r.revision);
      const report = await a.waitApplied(r.revision, 5000);
      expect(report).toEqual({ revision: r.revision, applied: ["lb-f1", "lb-f2"], refused: [], pending: [] });
      expect(a.acks.starts).toBe(i + 1);
      expect(a.nodes().find((n) => n.name === "lb-f2")).toMatchObject({ applied_revision: r.revision, lag: 0 });
      // The node that was never asked never watched the acks; its own is always its own.
      expect(b.acks.starts).toBe(0);
      expect(b.nodes().find((n) => n.name === "lb-f2")).toMatchObject({ applied_revision: r.revision });
      await until(() => !a.acks.running, 5000, "the feed to stop after its linger");
    }
    // Stopped, the feed's last acks still answer; freshAcks() reads etcd's again.
    b.registry.refused(a.config().revision + 1, "a NACK while nobody watches");
    expect(await b.leased.flushed(3000)).toBe(true);
    expect(a.nodes().find((n) => n.name === "lb-f2")?.nack).toBeUndefined();
    expect(await a.freshAcks(5000)).toBe(true);
    expect(a.nodes().find((n) => n.name === "lb-f2")?.nack).toEqual({ revision: a.config().revision + 1, reason: "a NACK while nobody watches" });
    await stop(b);
  }, 20_000);

  test("a shard that does not decode (written by something else) leaves the node on its last good config", async () => {
    const log: string[] = [];
    const a = await start("lb-c", { log: (m) => log.push(m) });
    const r = await a.write(validateConfig({ ...a.config().doc, pools: [...a.config().doc.pools, { name: "good" }] }), { summary: "good" });
    const used = new Set(a.config().shards.keys());
    const free = [...Array(SHARD_COUNT).keys()].find((i) => !used.has(i))!;
    const garbage = await a.client.put(a.keys.shard(free), "not a shard");
    expect(await a.configMirror.waitForRevision(garbage.revision, 5000)).toBe(true);
    expect(a.config().revision).toBe(r.revision);
    expect(log.join("\n")).toMatch(/config unreadable, serving revision/);
    await a.client.delete(a.keys.shard(free));
    const next = await a.write(validateConfig({ ...a.config().doc, pools: [...a.config().doc.pools, { name: "after" }] }), { summary: "after" });
    expect(a.config().revision).toBe(next.revision);
    expect(a.config().doc.pools.map((p) => p.name)).toContain("after");
  });

  test("a second node with a live node's name refuses to start, naming it", async () => {
    await start("lb-dup");
    const err = await start("lb-dup", { dbPath: join(dir, "lb-dup-2.db"), nameWaitMs: 3000 }).catch((e: unknown) => e);
    expect(isLbError(err, "NODE_NAME_TAKEN")).toBe(true);
    expect((err as Error).message).toContain("http://127.0.0.1:1/lb-dup");
  });

  test("etcd down: a node with a mirror starts and serves it (writes 503), registers when etcd returns; without a mirror it fails naming the endpoints", async () => {
    let a = await start("lb-m");
    const r = await a.write(validateConfig({ ...a.config().doc, pools: [...a.config().doc.pools, { name: "mirrored" }] }), { summary: "m" });
    const doc = a.config().doc;
    await stop(a);
    await etcd.kill();
    const t0 = Date.now();
    a = await start("lb-m");
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(a.config().revision).toBe(r.revision);
    expect(sameDoc(a.config().doc, doc)).toBe(true);
    expect(a.synced).toBe(false);
    expect(a.status().registered).toBe(false);
    const err = await a.write(validateConfig({ ...doc, pools: [...doc.pools, { name: "while-down" }] }), { summary: "x" }).catch((e: unknown) => e);
    expect(isLbError(err, "CLUSTER_UNAVAILABLE")).toBe(true);
    expect((err as { status: number }).status).toBe(503);

    const none = await start("lb-fresh", { startTimeoutMs: 800 }).catch((e: unknown) => e);
    expect(isLbError(none, "CLUSTER_UNAVAILABLE")).toBe(true);
    expect((none as Error).message).toContain(etcd.url);

    await etcd.restart();
    await until(() => a.synced && a.status().registered, 10_000, "synced and registered after etcd returned");
    expect(a.config().revision).toBe(r.revision);
    expect(a.nodes().map((n) => n.name)).toContain("lb-m");
  }, 30_000);
});
