/**
 * The config layout in etcd: resources hashed into 64 shard keys, a revision counter every write
 * compare-and-swaps, per-resource revisions. Against real etcd with its DEFAULT limits: documents
 * round-trip through a mirror, a one-pool change rewrites one shard, racing writers get exactly one
 * winner, a 1,000-pool / 10,000-backend config is written in one txn and resynced, an oversized
 * change is a 413 that writes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  assignPositions, clusterKeys, decodeShard, encodeShard, MemorySink, POSITION_GAP, PrefixMirror, readConfigState, SHARD_COUNT,
  resourceRevisions, updateConfigState, writeConfig,
  type ClusterKeys, type EtcdClient,
} from "../../src/cluster/index.ts";
import { validateConfig, type ConfigDoc } from "../../src/config/index.ts";
import { isLbError } from "../../src/errors.ts";
import { canonicalJson, sameDoc } from "../../src/config/index.ts";
import { genConfig } from "../helpers/config-gen.ts";
import { startEtcd, stopAllEtcd } from "./helpers/etcd.ts";
import { bigConfig } from "./helpers/big-config.ts";
import { testClient } from "./helpers/mirrors.ts";

let client: EtcdClient;
const mirrors: PrefixMirror[] = [];

beforeAll(async () => {
  client = testClient([(await startEtcd()).url], { deadlineMs: 10_000 });
});

afterAll(async () => {
  await Promise.all(mirrors.map((m) => m.stop()));
  client.close();
  await stopAllEtcd();
});

/** A mirror of the config prefix, with the state also kept incrementally from its changes. */
function mirrorOf(keys: ClusterKeys) {
  const sink = new MemorySink();
  let incremental = readConfigState([], keys);
  const m = new PrefixMirror({
    client, prefix: keys.config, sink, watchdogMs: 3000,
    onChange: (c) => (incremental = updateConfigState(incremental, c.keys, c.get, keys)),
  });
  m.start();
  mirrors.push(m);
  return { m, sink, state: () => readConfigState(sink.entries(), keys), incremental: () => incremental };
}

const summary = (s: ReturnType<typeof readConfigState>) =>
  canonicalJson({ revision: s.revision, doc: s.doc, resources: [...s.resources.entries()].sort(), history: s.history });

async function write(keys: ClusterKeys, base: ReturnType<typeof readConfigState>, doc: ConfigDoc, expectRevision?: number) {
  return writeConfig(client, keys, base, doc, { summary: "test", node: "lb-1", expectRevision });
}

describe("positions and shards", () => {
  test("append, delete and insert keep the other positions; a reorder renumbers", () => {
    const old = new Map([["a", 0], ["b", 1024], ["c", 2048]]);
    expect(assignPositions(["a", "b", "c", "d"], old)).toEqual([0, 1024, 2048, 3072]);
    expect(assignPositions(["a", "c"], old)).toEqual([0, 2048]);
    expect(assignPositions(["a", "x", "b", "c"], old)).toEqual([0, 512, 1024, 2048]);
    expect(assignPositions(["x", "a"], old)).toEqual([-1024, 0]);
    expect(assignPositions(["c", "a", "b"], old)).toEqual([0, POSITION_GAP, 2 * POSITION_GAP]);
  });

  test("a shard is JSON while small, gzip when large, and decodes to the same content either way", () => {
    const small = { "pools/a": { rev: 1, pos: 0, doc: { name: "a" } } };
    expect(new TextDecoder().decode(encodeShard(small))).toStartWith("{");
    const big = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`pools/p${i}`, { rev: 1, pos: i, doc: { name: `p${i}`, algorithm: "round_robin" } }]));
    const enc = encodeShard(big);
    expect([enc[0], enc[1]]).toEqual([0x1f, 0x8b]);
    expect(decodeShard(enc, "k")).toEqual(big);
    expect(() => decodeShard(new TextEncoder().encode("nope"), "/x/shards/01")).toThrow(/does not hold a config shard/);
  });
});

describe("config in etcd", () => {
  test("random documents round-trip through a mirror; each write is one revision; a one-pool change rewrites one shard", async () => {
    const keys = clusterKeys("/c1/");
    const { m, state, incremental } = mirrorOf(keys);
    for (let seed = 1; seed <= 12; seed++) {
      const doc = validateConfig(genConfig(seed));
      const r = await write(keys, state(), doc);
      expect(await m.waitForRevision(r.etcdRevision, 5000)).toBe(true);
      const s = state();
      expect(s.revision).toBe(r.changed ? r.revision : s.revision);
      expect(sameDoc(s.doc, doc)).toBe(true);
      expect(summary(incremental())).toBe(summary(s));
    }
    const base = state();
    const pool = base.doc.pools[0]!;
    const next = { ...base.doc, pools: [{ ...pool, backends: [...pool.backends, { ...pool.backends[0], address: "10.9.9.9:80" }] }, ...base.doc.pools.slice(1)] };
    const r = await write(keys, base, validateConfig(next), base.revision);
    expect(r).toMatchObject({ revision: base.revision + 1, changed: true, shards: 1 });
    await m.waitForRevision(r.etcdRevision, 5000);
    const after = state();
    expect(after.resources.get(`pools/${pool.name}`)!.rev).toBe(r.revision);
    for (const [id, res] of after.resources) if (id !== `pools/${pool.name}`) expect(res.rev).toBe(base.resources.get(id)!.rev);
    // Store-contract revisions: the pool and its new backend move, its other backends keep theirs.
    const before = resourceRevisions(base);
    const revs = resourceRevisions(after);
    expect(revs.get(`pool/${pool.name}`)).toBe(r.revision);
    expect(revs.get(`backend/${pool.name}/10.9.9.9:80`)).toBe(r.revision);
    for (const b of pool.backends) expect(revs.get(`backend/${pool.name}/${b.address}`)).toBe(before.get(`backend/${pool.name}/${b.address}`)!);
    expect(revs.size).toBe(before.size + 1);
    expect(after.history.at(-1)).toMatchObject({ revision: r.revision, summary: "test", node: "lb-1" });
    expect(summary(incremental())).toBe(summary(after));
    expect(await write(keys, after, after.doc)).toMatchObject({ changed: false, revision: after.revision });
  });

  test("two writers racing from the same revision: exactly one wins, the other gets 412; a stale If-Match is 412", async () => {
    const keys = clusterKeys("/c2/");
    const { m, state } = mirrorOf(keys);
    await m.waitForRevision((await write(keys, state(), validateConfig(genConfig(3)))).etcdRevision, 5000);
    const base = state();
    const a = validateConfig({ ...base.doc, pools: [...base.doc.pools, { name: "from-a" }] });
    const b = validateConfig({ ...base.doc, pools: [...base.doc.pools, { name: "from-b" }] });
    const results = await Promise.allSettled([write(keys, base, a, base.revision), write(keys, base, b, base.revision)]);
    expect(results.filter((x) => x.status === "fulfilled").length).toBe(1);
    const lost = results.find((x) => x.status === "rejected") as PromiseRejectedResult;
    expect(isLbError(lost.reason, "PRECONDITION_FAILED")).toBe(true);
    expect(String(lost.reason.message)).toContain(`revision ${base.revision + 1}`);
    // Where the winner is in etcd, so the loser can wait for its mirror before a fresh read.
    expect(lost.reason.details[0].etcd_revision).toBeGreaterThan(0);
    const err = await write(keys, base, a, base.revision - 1).catch((e: unknown) => e);
    expect(isLbError(err, "PRECONDITION_FAILED")).toBe(true);
  });

  test("1,000 pools and 10,000 backends: written in one txn under etcd's default limits, resynced by a fresh mirror", async () => {
    const keys = clusterKeys("/big/");
    const doc = bigConfig(1000, 10);
    const json = JSON.stringify(doc).length;
    let t = performance.now();
    const r = await write(keys, readConfigState([], keys), doc);
    const writeMs = performance.now() - t;
    expect(r.shards).toBe(SHARD_COUNT);
    t = performance.now();
    const { m, sink, state } = mirrorOf(keys);
    expect(await m.waitForRevision(r.etcdRevision, 10_000)).toBe(true);
    const resyncMs = performance.now() - t;
    const bytes = sink.entries().reduce((n, kv) => n + kv.key.length + kv.value.byteLength, 0);
    t = performance.now();
    const s = state();
    const decodeMs = performance.now() - t;
    expect(s.doc.pools.length).toBe(1000);
    expect(s.doc.pools.reduce((n, p) => n + p.backends.length, 0)).toBe(10_000);
    expect(sameDoc(s.doc, doc)).toBe(true);
    console.log(
      `1,000 pools / 10,000 backends: document ${json} B JSON; txn ${SHARD_COUNT + 2} ops, ${r.bytes} B, ${writeMs.toFixed(0)} ms; ` +
        `resync ${bytes} B in ${resyncMs.toFixed(0)} ms (decode ${decodeMs.toFixed(0)} ms)`,
    );
    const pool = s.doc.pools[500]!;
    t = performance.now();
    const one = await write(keys, s, validateConfig({ ...s.doc, pools: s.doc.pools.map((p) => (p === pool ? { ...p, backends: p.backends.slice(1) } : p)) }), s.revision);
    console.log(`one pool changed in the big config: ${one.shards} shard, ${one.bytes} B, ${(performance.now() - t).toFixed(0)} ms`);
    expect(one.shards).toBe(1);
  }, 60_000);

  test("a change over etcd's request limit is a 413 naming the limit, and nothing is written", async () => {
    const keys = clusterKeys("/c3/");
    const { m, state } = mirrorOf(keys);
    await m.waitForRevision((await write(keys, state(), validateConfig(genConfig(5)))).etcdRevision, 5000);
    const base = state();
    // Random hex does not compress below half its size: 64 pools × 60 KB of it is ~2 MB after gzip.
    const noise = (i: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(30_000))).toString("hex") + i;
    const pools = Array.from({ length: 64 }, (_, i) => ({ name: `noisy-${i}`, sticky: { cookie: "c", secret: noise(i) } }));
    const doc = validateConfig({ ...base.doc, pools: [...base.doc.pools, ...pools] });
    const refused = await write(keys, base, doc).catch((e: unknown) => e);
    expect(isLbError(refused, "PAYLOAD_TOO_LARGE")).toBe(true);
    expect((refused as Error).message).toContain("--max-request-bytes");
    // Told a larger limit than etcd really has, the writer sends it and etcd's refusal is the same 413.
    const sent = await writeConfig(client, keys, base, doc, { summary: "t", node: "lb-1", maxRequestBytes: 64 << 20 }).catch((e: unknown) => e);
    expect(isLbError(sent, "PAYLOAD_TOO_LARGE")).toBe(true);
    expect((await client.range(keys.configRevision)).kvs.map((kv) => new TextDecoder().decode(kv.value))).toEqual([String(base.revision)]);
  });
});
