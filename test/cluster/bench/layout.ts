/**
 * The config layout decision, measured: a 1,000-pool / 10,000-backend config (validated, defaults
 * filled) written to a fresh etcd as ONE txn and read back by a fresh mirror, in three layouts:
 *  - sharded (Fulcrum's): 64 shard keys, gzip above 8 KiB, revision counter + history;
 *  - one key per resource (APISIX's shape): 1,011 puts in one txn, refused under etcd's default
 *    --max-txn-ops 128, so also run with --max-txn-ops 2048;
 *  - the whole document in one key.
 * Run: bun test/cluster/bench/layout.ts. Prints ops, request bytes (JSON body), write ms, resync
 * bytes and ms (median of 3), and for the sharded layout the decode and one-pool-change figures.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  clusterKeys, emptyConfigState, EtcdClient, op, openSqliteSink, planConfigWrite, PrefixMirror, readConfigState, readPrefix, writeConfig, type TxnOp,
} from "../../../src/cluster/index.ts";
import { encodeTxn } from "../../../src/cluster/etcd/txn.ts";
import { validateConfig } from "../../../src/config/index.ts";
import { bigConfig } from "../helpers/big-config.ts";
import { startEtcd, stopAllEtcd } from "../helpers/etcd.ts";
import { until } from "../helpers/mirrors.ts";

const doc = bigConfig(1000, 10);
const keys = clusterKeys("/fulcrum/v1/");
const dir = mkdtempSync(join(tmpdir(), "fulcrum-layout-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function measure(name: string, etcdArgs: string[], ops: TxnOp[]): Promise<void> {
  const m = await startEtcd(etcdArgs);
  const client = new EtcdClient({ endpoints: [m.url], requestTimeoutMs: 30_000, deadlineMs: 30_000 });
  const body = JSON.stringify(encodeTxn({ compare: [], success: ops })).length;
  try {
    const t0 = performance.now();
    await client.txn({ compare: [], success: ops });
    const write = performance.now() - t0;
    const reads: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      bytes = (await readPrefix(client, keys.config, 500)).bytes;
      reads.push(performance.now() - t);
    }
    console.log(`${name.padEnd(34)} ${String(ops.length).padStart(5)} ops  body ${body} B  write ${ms(write)}  resync ${bytes} B in ${ms(median(reads))}`);
  } catch (e) {
    console.log(`${name.padEnd(34)} ${String(ops.length).padStart(5)} ops  body ${body} B  REFUSED: ${(e as Error).message}`);
  } finally {
    client.close();
    await stopAllEtcd();
  }
}

async function sharded(): Promise<void> {
  const m = await startEtcd();
  const client = new EtcdClient({ endpoints: [m.url], requestTimeoutMs: 30_000, deadlineMs: 30_000 });
  try {
    const r = await writeConfig(client, keys, emptyConfigState(), doc, { summary: "bench", node: "bench" });
    const sink = openSqliteSink(join(dir, "mirror.db"), keys.config);
    const t0 = performance.now();
    const mirror = new PrefixMirror({ client, prefix: keys.config, sink });
    mirror.start();
    await until(() => mirror.status.appliedRevision >= r.etcdRevision, 10_000, "the resync");
    const resync = performance.now() - t0;
    const t1 = performance.now();
    const state = readConfigState(sink.entries(), keys);
    const decode = performance.now() - t1;
    const next = validateConfig({ ...state.doc, pools: state.doc.pools.map((p, i) => (i === 500 ? { ...p, backends: p.backends.slice(1) } : p)) });
    const t2 = performance.now();
    const plan = planConfigWrite(keys, state, next, { at: "", summary: "", source: "api", node: "", write_id: "" })!;
    const planMs = performance.now() - t2;
    const t3 = performance.now();
    const one = await writeConfig(client, keys, state, next, { summary: "one", node: "bench" });
    const oneMs = performance.now() - t3;
    console.log(`sharded (Fulcrum): write ${r.shards + 2} ops ${r.bytes} B; mirror resync (SQLite) ${ms(resync)}, ${sink.entries().reduce((n, kv) => n + kv.key.length + kv.value.byteLength, 0)} B; decode ${ms(decode)}`);
    console.log(`sharded (Fulcrum): one pool changed: ${one.shards} shard, ${one.bytes} B, plan ${ms(planMs)} (${plan.txn.success.length} ops), plan + txn ${ms(oneMs)}`);
    await mirror.stop();
    sink.close();
  } finally {
    client.close();
    await stopAllEtcd();
  }
}

try {
  const plan = planConfigWrite(keys, emptyConfigState(), doc, { at: "", summary: "", source: "api", node: "", write_id: "" })!;
  console.log(`document: ${JSON.stringify(doc).length} B of JSON, ${doc.pools.length} pools, ${doc.pools.reduce((n, p) => n + p.backends.length, 0)} backends, ${doc.listeners.length} listeners`);
  await measure("sharded, 64 keys (Fulcrum)", [], plan.txn.success);
  const perResource = [
    ...doc.pools.map((p) => op.put(`${keys.config}pools/${p.name}`, JSON.stringify(p))),
    ...doc.listeners.map((l) => op.put(`${keys.config}listeners/${l.name}`, JSON.stringify(l))),
    op.put(keys.configRevision, "1"),
  ];
  await measure("per resource, default limits", [], perResource);
  await measure("per resource, --max-txn-ops 2048", ["--max-txn-ops", "2048"], perResource);
  await measure("one key", [], [op.put(`${keys.config}doc`, JSON.stringify(doc)), op.put(keys.configRevision, "1")]);
  await sharded();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
