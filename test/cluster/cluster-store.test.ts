/**
 * ClusterStore (the Store contract on etcd) and the write path over it, in-process against real
 * etcd: the same sequence of writes gives the same revisions, per-resource revisions and history
 * as the SQLite store; a stale expectRevision is a 412 that writes nothing; onChange hears other
 * nodes' writes; two nodes' ConfigControls changing the config at once both land; adoptStored()
 * publishes another node's revision, and refuses (with the reason) one this node cannot serve.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterNode, ClusterStore } from "../../src/cluster/index.ts";
import { SnapshotHolder, validateConfig, type ConfigDoc, type Snapshot } from "../../src/config/index.ts";
import { ConfigControl } from "../../src/control/index.ts";
import { isLbError, LbError } from "../../src/errors.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { PROGRESS_INTERVAL_MS, startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { until } from "./helpers/mirrors.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-cstore-"));
let etcd: EtcdMember;
const nodes: ClusterNode[] = [];
let root = 0;

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await stopAllEtcd();
  rmSync(dir, { recursive: true, force: true });
});

/** `count` nodes on a fresh prefix, each with its ClusterStore. */
async function cluster(count: number): Promise<ClusterStore[]> {
  const prefix = `/cs-${++root}/`;
  const out: ClusterStore[] = [];
  for (let i = 0; i < count; i++) {
    const n = await ClusterNode.start({
      endpoints: [etcd.url], name: `n${i}`, adminUrl: "http://127.0.0.1:0", version: "test", dbPath: join(dir, `${prefix.slice(1, -1)}-${i}.db`),
      root: prefix, ttlS: 2, watchdogMs: 3 * PROGRESS_INTERVAL_MS, requestTimeoutMs: 1000, deadlineMs: 2000,
    });
    nodes.push(n);
    out.push(new ClusterStore(n));
  }
  return out;
}

const docs = (): ConfigDoc[] => {
  const base = {
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", routes: [{ name: "a", match: { path: "/a" } }] }],
    pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }] }, { name: "other", backends: [] as { address: string }[] }],
  };
  const steps = [
    base,
    { ...base, pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }, { address: "10.0.0.2:80" }] }, base.pools[1]!] },
    { ...base, listeners: [{ ...base.listeners[0]!, routes: [{ name: "a", match: { path: "/a" } }, { name: "b", match: { path: "/b" } }] }] },
    { ...base, pools: [base.pools[0]!] },
  ];
  return steps.map((d) => validateConfig(d));
};

describe("ClusterStore", () => {
  test("the same writes give the same revisions, per-resource revisions and history as the SQLite store", async () => {
    const [cs] = await cluster(1);
    const sqlite: Store = openStore(":memory:");
    try {
      for (const [i, d] of docs().entries()) {
        const opts = { source: i === 1 ? ("file" as const) : ("api" as const), ...(i === 1 ? { file: "/etc/f.yaml" } : {}), summary: `step ${i}` };
        expect(await cs!.write(d, opts)).toEqual(await sqlite.write(d, opts));
        expect(cs!.read().revision).toBe(sqlite.read().revision);
        expect(Object.fromEntries(cs!.read().resources)).toEqual(Object.fromEntries(sqlite.read().resources));
        expect(cs!.read().doc).toEqual(sqlite.read().doc);
      }
      expect(await cs!.write(docs()[3]!, { source: "api", summary: "again" })).toEqual({ revision: 4, changed: false });
      const strip = (h: { revision: number; source: string; file?: string; summary: string }[]) => h.map(({ revision, source, file, summary }) => ({ revision, source, file, summary }));
      expect(strip(cs!.history())).toEqual(strip(sqlite.history()));
      expect(cs!.history(2).map((e) => [e.revision, e.node])).toEqual([[4, "n0"], [3, "n0"]]);
    } finally {
      sqlite.close();
    }
  });

  test("a stale expectRevision is PRECONDITION_FAILED and writes nothing; onChange hears the other node's write", async () => {
    const [a, b] = await cluster(2);
    const heard: number[] = [];
    const off = b!.onChange(() => heard.push(b!.read().revision));
    const [first, second] = docs();
    await a!.write(first!, { source: "api", summary: "one", expectRevision: 0 });
    await until(() => b!.read().revision === 1, 5000, "b at revision 1");
    expect(heard).toContain(1);
    const err = await b!.write(second!, { source: "api", summary: "stale", expectRevision: 0 }).catch((e: unknown) => e);
    expect(isLbError(err, "PRECONDITION_FAILED")).toBe(true);
    expect(a!.read().revision).toBe(1);
    expect(b!.history().map((e) => e.summary)).toEqual(["one"]);
    off();
  });
});

describe("ConfigControl over ClusterStore", () => {
  test("two nodes changing the config at once both land: the one beaten retries from a fresh read", async () => {
    const stores = await cluster(2);
    const controls = stores.map((store) => new ConfigControl({ store, holder: new SnapshotHolder() }));
    await controls[0]!.apply(docs()[0], { source: "api", summary: "base" });
    await until(() => stores[1]!.read().revision === 1, 5000, "the second node at revision 1");
    const add = (name: string) => (current: { doc: ConfigDoc }) => ({ ...current.doc, pools: [...current.doc.pools, { name }] });
    const results = await Promise.all(controls.flatMap((c, i) => [0, 1, 2].map((k) => c.change(add(`p${i}-${k}`), { source: "api", summary: `add p${i}-${k}` }))));
    expect(results.map((r) => r.revision).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7]);
    await until(() => stores.every((s) => s.read().revision === 7), 5000, "both at revision 7");
    for (const s of stores) expect(s.read().doc.pools.map((p) => p.name).sort()).toEqual(["app", "other", "p0-0", "p0-1", "p0-2", "p1-0", "p1-1", "p1-2"]);
  });

  test("adoptStored publishes another node's revision once; one this node cannot serve is refused with why, the previous one keeps serving", async () => {
    const [a, b] = await cluster(2);
    const holder = new SnapshotHolder();
    const published: number[] = [];
    holder.subscribe((s) => published.push(s.revision));
    const preflight = (s: Snapshot) => {
      if (s.pools.blocked) throw new LbError("CONFIG_INVALID", "cannot serve", { details: [{ path: "pools[2]", message: "this node refuses pool blocked" }] });
    };
    const control = new ConfigControl({ store: b!, holder, preflight });
    await a!.write(docs()[0]!, { source: "api", summary: "one" });
    await until(() => b!.read().revision === 1, 5000, "b at revision 1");
    const [x, y] = await Promise.all([control.adoptStored(), control.adoptStored()]);
    expect(x).toEqual({ revision: 1, outcome: "published" });
    expect(y).toBe(x);
    expect(await control.adoptStored()).toEqual({ revision: 1, outcome: "current" });
    const blocked = validateConfig({ ...docs()[0]!, pools: [...docs()[0]!.pools, { name: "blocked" }] });
    await a!.write(blocked, { source: "api", summary: "blocked" });
    await until(() => b!.read().revision === 2, 5000, "b at revision 2");
    expect(await control.adoptStored()).toEqual({ revision: 2, outcome: "refused", reason: "CONFIG_INVALID: pools[2]: this node refuses pool blocked" });
    expect(holder.current()!.revision).toBe(1);
    expect(published).toEqual([1]);
  });
});
