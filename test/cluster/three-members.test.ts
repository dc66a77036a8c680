/**
 * Three etcd members. One frozen (SIGSTOP): its TCP connections stay open and silent, so only the
 * watchdog on progress notifications notices, and the mirror moves to another member. Two stopped: the member left has no leader, so a watch on it ends (the client
 * sends `hasleader`, ETCD-NOTES §3.3) instead of staying open and silent, and writes fail cleanly
 * (503 CLUSTER_UNAVAILABLE, known not applied). When one member returns, the mirror resumes on a
 * healthy member and applies everything written since, once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { EtcdError, MemorySink, type EtcdClient, type PrefixMirror } from "../../src/cluster/index.ts";
import { startEtcdCluster, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { seqKey, startMirror, testClient, until, writeSequence } from "./helpers/mirrors.ts";

let members: EtcdMember[];
let client: EtcdClient;
const mirrors: PrefixMirror[] = [];

beforeAll(async () => {
  members = await startEtcdCluster(3);
  client = testClient(members.map((m) => m.url), { deadlineMs: 2000 });
});

afterAll(async () => {
  for (const m of members ?? []) m.resume();
  await Promise.all(mirrors.map((m) => m.stop()));
  client.close();
  await stopAllEtcd();
});

test("a frozen member: the watchdog ends the silent stream and the mirror resumes on another member, losing nothing", async () => {
  const sink = new MemorySink();
  const log: string[] = [];
  // Its own client: the writer's calls to the frozen member must not be what moves the watch.
  const own = testClient(members.map((m) => m.url));
  const mirror = startMirror(own, "/frz/", sink, (msg) => log.push(msg));
  mirrors.push(mirror);
  // Synced before the first write, so every key arrives as an event (none through the first resync).
  await until(() => mirror.status.phase === "in_sync", 10_000, "in sync");
  await writeSequence(client, "/frz/", 0, 10);
  await until(() => mirror.status.phase === "in_sync" && sink.entries().length === 10, 10_000, "the first 10 keys");
  const frozen = members.find((m) => m.url === mirror.status.endpoint)!;
  frozen.pause();
  const frozenAt = Date.now();
  const writing = writeSequence(client, "/frz/", 10, 60, { deadlineMs: 30_000 });
  await until(() => mirror.status.endpoint !== frozen.url && log.some((l) => /no message for/.test(l)), 10_000, "the watchdog to move the mirror");
  const movedAfter = Date.now() - frozenAt;
  await writing;
  const final = (await client.range("/frz/", { prefix: true, countOnly: true })).header.revision;
  expect(await mirror.waitForRevision(final, 10_000)).toBe(true);
  expect(sink.entries().map((kv) => kv.key)).toEqual(Array.from({ length: 60 }, (_, i) => seqKey("/frz/", i)));
  expect(sink.eventsApplied).toBe(60);
  expect(mirror.status.duplicatesDropped).toBe(0);
  frozen.resume();
  await frozen.waitHealthy();
  await mirror.stop();
  own.close();
  console.log(`frozen member left ${movedAfter} ms after SIGSTOP (watchdog ${3 * 1000} ms)`);
}, 60_000);

test("a member without quorum ends the watch; writes fail cleanly; the mirror resumes when quorum returns", async () => {
  const sink = new MemorySink();
  const mirror = startMirror(client, "/q/", sink);
  mirrors.push(mirror);
  await until(() => mirror.status.phase === "in_sync", 10_000, "in sync");
  await writeSequence(client, "/q/", 0, 20);
  await until(() => mirror.status.phase === "in_sync" && sink.entries().length === 20, 10_000, "the first 20 keys");

  const watched = members.find((m) => m.url === mirror.status.endpoint)!;
  const others = members.filter((m) => m !== watched);
  await Promise.all(others.map((m) => m.stop()));
  const stoppedAt = Date.now();
  await until(() => /no leader/.test(mirror.status.lastError), 10_000, "the watch to end with 'no leader'");
  const endedAfter = Date.now() - stoppedAt;

  const err = await client.put("/q/during", "x").then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EtcdError);
  expect((err as EtcdError).code).toBe("CLUSTER_UNAVAILABLE");
  expect((err as EtcdError).status).toBe(503);
  expect((err as EtcdError).ambiguous).toBe(false);
  expect(sink.entries().length).toBe(20);

  await others[0]!.restart({ waitHealthy: false });
  await Promise.all([others[0]!.waitHealthy(), watched.waitHealthy()]);
  await writeSequence(client, "/q/", 20, 40);
  const final = (await client.range("/q/", { prefix: true, countOnly: true })).header.revision;
  expect(await mirror.waitForRevision(final, 15_000)).toBe(true);
  expect(sink.entries().map((kv) => kv.key)).toEqual(Array.from({ length: 40 }, (_, i) => seqKey("/q/", i)));
  expect(sink.eventsApplied).toBe(40);
  expect(mirror.status.duplicatesDropped).toBe(0);
  expect(sink.get("/q/during")).toBeUndefined();
  console.log(`watch ended ${endedAfter} ms after quorum was lost`);
}, 60_000);
