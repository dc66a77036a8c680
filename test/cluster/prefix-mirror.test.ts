/**
 * PrefixMirror against real etcd (one member): it applies every event once and in order, resumes
 * after etcd is killed under a stream of writes, catches up more than one 1000-revision batch
 * across a kill (the etcd3 npm bug, ETCD-NOTES §3.4), and resyncs when compaction passed it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySink, openSqliteSink, PrefixMirror, text, type EtcdClient, type MirrorSink, type SqliteSink } from "../../src/cluster/index.ts";
import { startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { seqKey, startMirror, testClient, until, writeSequence } from "./helpers/mirrors.ts";

let etcd: EtcdMember;
let client: EtcdClient;
const dir = mkdtempSync(join(tmpdir(), "fulcrum-mirror-"));
const mirrors: PrefixMirror[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  client = testClient([etcd.url]);
});

afterAll(async () => {
  await Promise.all(mirrors.map((m) => m.stop()));
  client.close();
  await stopAllEtcd();
  rmSync(dir, { recursive: true, force: true });
});

function mirror(prefix: string, sink: MirrorSink = new MemorySink()) {
  const m = startMirror(client, prefix, sink);
  mirrors.push(m);
  return m;
}

describe("PrefixMirror", () => {
  test("mirrors puts and deletes under its prefix only, one batch per txn", async () => {
    await client.put("/t1/a", "1");
    const sink = new MemorySink();
    const m = mirror("/t1/", sink);
    await until(() => m.status.phase === "in_sync", 5000, "in sync");
    expect(sink.entries().map((kv) => kv.key)).toEqual(["/t1/a"]);
    await client.put("/t1/b", "2");
    await client.put("/t2/x", "elsewhere");
    await client.delete("/t1/a");
    const last = await client.put("/t1/c", "3");
    expect(await m.waitForRevision(last.revision, 5000)).toBe(true);
    expect(sink.entries().map((kv) => `${kv.key}=${text(kv.value)}`)).toEqual(["/t1/b=2", "/t1/c=3"]);
    expect(sink.eventsApplied).toBe(3);
    expect(m.status.duplicatesDropped).toBe(0);
  });

  test("etcd killed and restarted under a stream of writes: every mirror ends at the same revision, no event lost or applied twice", async () => {
    const N = 300;
    const mem = new MemorySink();
    const sqlite = openSqliteSink(join(dir, "mirror.db"), "/seq/");
    const a = mirror("/seq/", mem);
    const b = mirror("/seq/", sqlite);
    await until(() => a.status.phase === "in_sync" && b.status.phase === "in_sync", 5000, "both in sync");
    const memBefore = mem.eventsApplied;
    let killed = false;
    const restarted = (async () => {
      await until(() => killed, 20_000, "the kill");
      await Bun.sleep(1000);
      await etcd.restart();
    })();
    const writing = writeSequence(client, "/seq/", 0, N, {
      concurrency: 4,
      onWrite: (i) => {
        if (i === 100 && !killed) {
          killed = true;
          void etcd.kill();
        }
      },
    });
    await Promise.all([writing, restarted]);
    const final = (await client.range("/seq/", { prefix: true, countOnly: true })).header.revision;
    expect(await a.waitForRevision(final, 10_000)).toBe(true);
    expect(await b.waitForRevision(final, 10_000)).toBe(true);
    expect(a.status.appliedRevision).toBe(b.status.appliedRevision);
    for (const sink of [mem, sqlite]) {
      const keys = sink.entries().map((kv) => kv.key);
      expect(keys).toEqual(Array.from({ length: N }, (_, i) => seqKey("/seq/", i)));
    }
    expect(mem.eventsApplied - memBefore).toBe(N);
    expect(a.status.reconnects).toBeGreaterThan(0);
    expect(a.status.duplicatesDropped + b.status.duplicatesDropped).toBe(0);
    expect(a.status.resyncs).toBe(1);
    await b.stop();
    sqlite.close();
  }, 60_000);

  test("a mirror more than 1000 revisions behind catches up across an etcd kill without losing the rest of the batch", async () => {
    const sink = new MemorySink();
    const m = mirror("/lag/", sink);
    await until(() => m.status.phase === "in_sync", 5000, "in sync");
    await m.stop();
    const N = 2500;
    await writeSequence(client, "/lag/", 0, N, { concurrency: 16 });
    // Restart from the stored revision: etcd replays in batches of at most 1000 revisions, each
    // carrying the newest store revision in its header; the kill lands after the first batch.
    let killed = false;
    const resumed = startMirror(client, "/lag/", sink);
    mirrors.push(resumed);
    const first = await until(() => sink.eventsApplied > 0, 10_000, "the first batch").then(async () => {
      killed = true;
      await etcd.kill();
      return sink.eventsApplied;
    });
    expect(killed).toBe(true);
    expect(first).toBeLessThan(N);
    await etcd.restart();
    const final = (await client.range("/lag/", { prefix: true, countOnly: true })).header.revision;
    expect(await resumed.waitForRevision(final, 15_000)).toBe(true);
    expect(sink.entries().length).toBe(N);
    expect(sink.eventsApplied).toBe(N);
    expect(resumed.status.duplicatesDropped).toBe(0);
    expect(resumed.status.resyncs).toBe(0);
  }, 60_000);

  test("compaction past a stopped mirror's revision: it resyncs (deletions included) and watches on", async () => {
    const path = join(dir, "compact.db");
    let sink = openSqliteSink(path, "/cmp/");
    await client.put("/cmp/keep", "1");
    await client.put("/cmp/gone", "1");
    let m = mirror("/cmp/", sink);
    await until(() => m.status.phase === "in_sync", 5000, "in sync");
    await m.stop();
    const stoppedAt = sink.state().appliedRevision;
    sink.close();
    await client.delete("/cmp/gone");
    await client.put("/cmp/new", "2");
    const head = await client.put("/other/x", "moves the revision on");
    await client.compact(head.revision);
    // A node restart: a fresh sink on the same file starts from the revision it had applied.
    sink = openSqliteSink(path, "/cmp/");
    expect(sink.state().appliedRevision).toBe(stoppedAt);
    const changes: string[][] = [];
    m = new (m.constructor as typeof import("../../src/cluster/index.ts").PrefixMirror)({
      client, prefix: "/cmp/", sink, watchdogMs: 3000, onChange: (c) => changes.push([c.kind, ...c.keys.sort()]),
    });
    mirrors.push(m);
    m.start();
    await until(() => m.status.resyncs === 1 && m.status.phase === "in_sync", 10_000, "a resync");
    expect(sink.entries().map((kv) => kv.key)).toEqual(["/cmp/keep", "/cmp/new"]);
    expect(changes[0]).toEqual(["resync", "/cmp/gone", "/cmp/new"]);
    const after = await client.put("/cmp/later", "3");
    expect(await m.waitForRevision(after.revision, 5000)).toBe(true);
    expect(sink.get("/cmp/later")).toBeDefined();
    await m.stop();
    sink.close();
  }, 30_000);

  test("a write-behind sink (SQLite) takes each batch after the consumer, which reads it from the change; a restart resumes from the sink", async () => {
    const path = join(dir, "behind.db");
    let sink = openSqliteSink(path, "/wb/");
    const seen: { revision: number; value: string | undefined; sinkRevision: number; sinkValue: string | undefined }[] = [];
    const start = (s: SqliteSink) => {
      const m = new PrefixMirror({
        client, prefix: "/wb/", sink: s, watchdogMs: 3000,
        onChange: (c) => {
          if (c.kind !== "events") return;
          const value = c.get("/wb/a");
          const stored = s.get("/wb/a");
          seen.push({ revision: c.revision, value: value && text(value.value), sinkRevision: s.state().appliedRevision, sinkValue: stored && text(stored.value) });
        },
      });
      mirrors.push(m);
      m.start();
      return m;
    };
    let m = start(sink);
    await until(() => m.status.phase === "in_sync", 5000, "in sync");
    const one = await client.put("/wb/a", "1");
    expect(await m.waitForRevision(one.revision, 5000)).toBe(true);
    expect(text(sink.get("/wb/a")!.value)).toBe("1");
    const two = await client.put("/wb/a", "2");
    expect(await m.waitForRevision(two.revision, 5000)).toBe(true);
    // The consumer had each batch while the sink still held the one before it.
    expect(seen.map((x) => [x.revision, x.value, x.sinkValue])).toEqual([[one.revision, "1", undefined], [two.revision, "2", "1"]]);
    expect(seen[0]!.sinkRevision).toBeLessThan(one.revision);
    expect(seen[1]!.sinkRevision).toBe(one.revision);
    expect(sink.state().appliedRevision).toBe(two.revision);
    await m.stop();
    sink.close();

    // A restart: the watch resumes after what the sink holds, nothing replayed or lost.
    const three = await client.put("/wb/a", "3");
    sink = openSqliteSink(path, "/wb/");
    seen.length = 0;
    m = start(sink);
    expect(await m.waitForRevision(three.revision, 5000)).toBe(true);
    expect(seen.map((x) => [x.revision, x.value])).toEqual([[three.revision, "3"]]);
    expect(m.status).toMatchObject({ resyncs: 0, duplicatesDropped: 0 });
    await m.stop();
    sink.close();
  });

  test("a mirror write that fails leaves the sink behind the consumer: the mirror resyncs and both end at etcd's state", async () => {
    const inner = openSqliteSink(join(dir, "failing.db"), "/wf/");
    let failNext = false;
    const sink: MirrorSink = {
      writeBehind: true,
      state: () => inner.state(),
      applyEvents: (events, revision, clusterId) => {
        if (failNext) {
          failNext = false;
          throw new Error("disk full");
        }
        inner.applyEvents(events, revision, clusterId);
      },
      advance: (revision, clusterId) => inner.advance(revision, clusterId),
      replace: (kvs, revision, clusterId) => inner.replace(kvs, revision, clusterId),
      get: (key) => inner.get(key),
      entries: () => inner.entries(),
    };
    const log: string[] = [];
    const m = startMirror(client, "/wf/", sink, (msg) => log.push(msg));
    mirrors.push(m);
    await until(() => m.status.phase === "in_sync", 5000, "in sync");
    const resyncs = m.status.resyncs;
    failNext = true;
    const lost = await client.put("/wf/a", "1");
    await until(() => m.status.resyncs > resyncs && inner.state().appliedRevision >= lost.revision, 10_000, "a resync after the failed write");
    expect(text(inner.get("/wf/a")!.value)).toBe("1");
    expect(log.join("\n")).toContain(`writing revision ${lost.revision} to the mirror failed (disk full)`);
    const next = await client.put("/wf/b", "2");
    expect(await m.waitForRevision(next.revision, 5000)).toBe(true);
    expect(inner.entries().map((kv) => `${kv.key}=${text(kv.value)}`)).toEqual(["/wf/a=1", "/wf/b=2"]);
    await m.stop();
    inner.close();
  });
});
