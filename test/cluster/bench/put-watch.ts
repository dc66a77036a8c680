/**
 * Put → applied latency across two mirrors, each with its own client (two nodes' worth), one etcd
 * member (or three with --members 3): 500 puts, one every 5 ms, each timed until BOTH mirrors have
 * applied it. One process, one monotonic clock. Run: bun test/cluster/bench/put-watch.ts
 * [--members 3] [--sink sqlite] [--writes 500]. Prints p50/p90/p99/max in ms.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MemorySink, openSqliteSink, PrefixMirror, type MirrorSink } from "../../../src/cluster/index.ts";
import { startEtcd, startEtcdCluster, stopAllEtcd, PROGRESS_INTERVAL_MS } from "../helpers/etcd.ts";
import { testClient, until } from "../helpers/mirrors.ts";

const { values } = parseArgs({ options: { members: { type: "string", default: "1" }, sink: { type: "string", default: "memory" }, writes: { type: "string", default: "500" } } });
const N = Number(values.writes);
const dir = mkdtempSync(join(tmpdir(), "fulcrum-bench-"));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

try {
  const members = values.members === "3" ? await startEtcdCluster(3) : [await startEtcd()];
  const urls = members.map((m) => m.url);
  const sink = (i: number): MirrorSink => (values.sink === "sqlite" ? openSqliteSink(join(dir, `m${i}.db`), "/lat/") : new MemorySink());
  const sent = new Map<string, number>();
  const applied = [new Map<string, number>(), new Map<string, number>()];
  const mirrors = [0, 1].map((i) => {
    // Each mirror prefers a different member (a node near its own etcd member).
    const client = testClient(i === 1 ? [...urls].reverse() : urls);
    const m = new PrefixMirror({
      client, prefix: "/lat/", sink: sink(i), watchdogMs: 3 * PROGRESS_INTERVAL_MS,
      onChange: (c) => {
        const now = performance.now();
        for (const e of c.events) applied[i]!.set(`${e.kv.key}@${e.kv.modRevision}`, now);
      },
    });
    m.start();
    return m;
  });
  await until(() => mirrors.every((m) => m.status.phase === "in_sync"), 10_000, "mirrors in sync");
  const writer = testClient(urls.length > 1 ? [urls[1]!] : urls);
  let last = 0;
  for (let i = 0; i < N; i++) {
    const key = `/lat/k${i % 16}`;
    const t0 = performance.now();
    const h = await writer.put(key, String(i));
    sent.set(`${key}@${h.revision}`, t0);
    last = h.revision;
    await Bun.sleep(5);
  }
  await until(() => mirrors.every((m) => m.status.appliedRevision >= last), 10_000, "all applied");
  const both: number[] = [];
  const each: number[][] = [[], []];
  for (const [id, t0] of sent) {
    const a = applied[0]!.get(id)!;
    const b = applied[1]!.get(id)!;
    each[0]!.push(a - t0);
    each[1]!.push(b - t0);
    both.push(Math.max(a, b) - t0);
  }
  const row = (name: string, xs: number[]) =>
    console.log(`${name.padEnd(24)} p50 ${pct(xs, 50).toFixed(2)}  p90 ${pct(xs, 90).toFixed(2)}  p99 ${pct(xs, 99).toFixed(2)}  max ${Math.max(...xs).toFixed(2)} ms`);
  console.log(`${N} puts, etcd members: ${members.length}, sink: ${values.sink}`);
  row("mirror 1", each[0]!);
  row("mirror 2", each[1]!);
  row("applied on both", both);
  await Promise.all(mirrors.map((m) => m.stop()));
} finally {
  await stopAllEtcd();
  rmSync(dir, { recursive: true, force: true });
}
