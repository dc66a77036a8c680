/**
 * When etcd's history is not the one a mirror applied (ETCD-NOTES §3.6): etcd restored from an
 * older snapshot (same cluster ID, revision gone backwards — a watch from applied + 1 would wait
 * silently) and a different etcd cluster (new cluster ID). Both end in a full resync that drops
 * what the mirror held beyond etcd's state, on a mirror persisted in SQLite across "node restarts".
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteSink, PrefixMirror, type EtcdClient } from "../../src/cluster/index.ts";
import { PROGRESS_INTERVAL_MS, startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { testClient, until, writeSequence } from "./helpers/mirrors.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-resync-"));
const clients: EtcdClient[] = [];
let etcd: EtcdMember;

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stopAllEtcd();
  rmSync(dir, { recursive: true, force: true });
});

/** Mirrors /rs/ into the SQLite file `db` until `done` holds, then stops (a node's run). */
async function runNode(url: string, db: string, done: (m: PrefixMirror, keys: string[]) => boolean, log: string[] = []) {
  const client = testClient([url]);
  clients.push(client);
  const sink = openSqliteSink(join(dir, db), "/rs/");
  const m = new PrefixMirror({ client, prefix: "/rs/", sink, watchdogMs: 3 * PROGRESS_INTERVAL_MS, log: (s) => log.push(s) });
  m.start();
  try {
    await until(() => m.status.phase === "in_sync" && done(m, sink.entries().map((kv) => kv.key)), 15_000, `mirror of ${url} done`);
    return { status: { ...m.status }, keys: sink.entries().map((kv) => kv.key) };
  } finally {
    await m.stop();
    sink.close();
  }
}

test("etcd restored from an older snapshot: the revision went backwards, the mirror resyncs to the restored state", async () => {
  const client = testClient([etcd.url]);
  clients.push(client);
  await writeSequence(client, "/rs/", 0, 5);
  const snap = join(dir, "backup.db");
  await etcd.saveSnapshot(snap);
  await writeSequence(client, "/rs/", 5, 10);
  const first = await runNode(etcd.url, "node.db", (_, keys) => keys.length === 10);
  await etcd.restoreSnapshot(snap);
  const now = await client.range("/rs/", { prefix: true, countOnly: true });
  expect(now.header.revision).toBeLessThan(first.status.appliedRevision);
  expect(now.header.clusterId).toBe(first.status.clusterId);
  const log: string[] = [];
  const second = await runNode(etcd.url, "node.db", (m) => m.status.resyncs === 1, log);
  expect(second.keys.length).toBe(5);
  expect(second.status.appliedRevision).toBe(now.header.revision);
  expect(log.join("\n")).toMatch(/behind the applied/);
}, 30_000);

test("a different etcd cluster (new cluster ID, revision already past ours): the mirror resyncs instead of resuming", async () => {
  const a = await startEtcd();
  const ca = testClient([a.url]);
  clients.push(ca);
  await writeSequence(ca, "/rs/", 0, 3);
  const first = await runNode(a.url, "moved.db", (_, keys) => keys.length === 3);
  const b = await startEtcd();
  const cb = testClient([b.url]);
  clients.push(cb);
  // Move b's revision past what the mirror applied from a, so only the cluster ID tells them apart.
  await writeSequence(cb, "/other/", 0, first.status.appliedRevision + 5, { concurrency: 8 });
  await writeSequence(cb, "/rs/", 100, 102);
  const log: string[] = [];
  const second = await runNode(b.url, "moved.db", (m) => m.status.resyncs === 1, log);
  expect(second.status.clusterId).not.toBe(first.status.clusterId);
  expect(second.keys).toEqual(["/rs/000100", "/rs/000101"]);
  expect(log.join("\n")).toMatch(/cluster ID changed/);
}, 30_000);
