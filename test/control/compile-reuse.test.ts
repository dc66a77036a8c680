/**
 * The write path compiles each revision against the snapshot being served: a hashing pool whose
 * table inputs did not change keeps its table (no 65,537-slot rebuild per pool per revision);
 * a changed backend set, weight, size or algorithm builds a new one.
 */
import { expect, test } from "bun:test";
import { compileSnapshot, SnapshotHolder, validateConfig, validateConfigReusing } from "../../src/config/index.ts";
import { ConfigControl } from "../../src/control/index.ts";
import { openStore } from "../../src/store/index.ts";

const doc = (weight = 1, size?: number) => ({
  pools: [
    { name: "m", algorithm: "maglev", ...(size ? { table_size: size } : {}), backends: [{ address: "10.0.0.1:80", weight }, { address: "10.0.0.2:80" }] },
    { name: "other", algorithm: "maglev", backends: [{ address: "10.0.1.1:80" }] },
    { name: "rr", backends: [{ address: "10.0.2.1:80" }] },
  ],
});

test("compileSnapshot keeps an unchanged hashing pool's table from the previous snapshot, and rebuilds a changed one", () => {
  const first = compileSnapshot(validateConfig(doc()), 1);
  const same = compileSnapshot(validateConfig(doc()), 2, first);
  expect(same.pools.m!.selector).toBe(first.pools.m!.selector);
  const heavier = compileSnapshot(validateConfig(doc(3)), 3, same);
  expect(heavier.pools.m!.selector).not.toBe(same.pools.m!.selector);
  expect(heavier.pools.other!.selector).toBe(first.pools.other!.selector);
  expect(compileSnapshot(validateConfig(doc(3, 251)), 4, heavier).pools.m!.selector.table!.length).toBe(251);
  // The reused table is the one a fresh compile builds, slot for slot.
  expect(Array.from(same.pools.m!.selector.table!)).toEqual(Array.from(compileSnapshot(validateConfig(doc()), 9).pools.m!.selector.table!));
});

test("ConfigControl compiles each change against the held snapshot", async () => {
  const store = openStore(":memory:");
  const holder = new SnapshotHolder();
  const control = new ConfigControl({ store, holder });
  await control.apply(doc(), { source: "api", summary: "one" });
  const before = holder.current()!;
  await control.change((c) => ({ ...c.doc, pools: [...c.doc.pools, { name: "added" }] }), { source: "api", summary: "two" });
  expect(holder.current()!.revision).toBe(2);
  expect(holder.current()!.pools.m!.selector).toBe(before.pools.m!.selector);
  store.close();
});

const stored = () => ({
  listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "a", routes: [{ name: "b", match: { path_prefix: "/b" }, pool: "b" }] }],
  pools: [
    { name: "a", backends: [{ address: "10.0.0.1:80" }] },
    { name: "b", algorithm: "maglev", backends: [{ address: "10.0.1.1:80" }] },
    { name: "c", backends: [{ address: "10.0.2.1:80" }] },
  ],
  certificates: [],
});

test("a store that keeps unchanged resources as the same objects: only what changed is validated and compiled again, the rest is kept", () => {
  const seen = new WeakMap<object, object>();
  const raw = stored();
  const first = compileSnapshot(validateConfigReusing(raw, seen), 1);
  expect(validateConfigReusing(raw, seen).pools[0]).toBe(validateConfigReusing(raw, seen).pools[0]!);
  // Pool b changes; the listener's document and pools a and c are the very objects stored before.
  const next = { ...raw, pools: [raw.pools[0]!, { ...raw.pools[1]!, backends: [{ address: "10.0.1.2:80" }] }, raw.pools[2]!] };
  const second = compileSnapshot(validateConfigReusing(next, seen), 2, first);
  expect(second.pools.a).toBe(first.pools.a!);
  expect(second.pools.c).toBe(first.pools.c!);
  expect(second.pools.b).not.toBe(first.pools.b!);
  // The listener is relinked to the new pool b: its default pool stays, its route holds the new b.
  const [was, now] = [first.listeners[0]!, second.listeners[0]!];
  expect(now.pool).toBe(first.pools.a!);
  expect(now.routes[0]!.pool).toBe(second.pools.b!);
  expect(now.trustedProxies).toBe(was.trustedProxies);
  // What a fresh compile of the same document builds.
  const fresh = compileSnapshot(validateConfig(next), 2);
  expect(now.routes[0]!.pool!.backends.map((b) => b.address)).toEqual(fresh.listeners[0]!.routes[0]!.pool!.backends.map((b) => b.address));
  expect(Array.from(second.pools.b!.selector.table!)).toEqual(Array.from(fresh.pools.b!.selector.table!));
  // Nothing changed: the whole snapshot's parts are kept.
  const third = compileSnapshot(validateConfigReusing(next, seen), 3, second);
  expect(third.listeners[0]).toBe(now);
  expect(third.pools).toEqual(second.pools);
});

test("the reusing validator reports what validateConfig reports: a bad new resource, and a kept one whose reference is gone", () => {
  const seen = new WeakMap<object, object>();
  const raw = stored();
  validateConfigReusing(raw, seen);
  const problems = (d: unknown, v: (x: unknown) => unknown) => {
    try {
      v(d);
      return [];
    } catch (e) {
      return (e as { details: unknown[] }).details;
    }
  };
  const bad = { ...raw, pools: [...raw.pools, { name: "d", backends: [{ address: "nowhere" }] }] };
  const gone = { ...raw, pools: raw.pools.filter((p) => p.name !== "b") };
  for (const d of [bad, gone, { ...raw, extra: 1 }, { ...raw, pools: [raw.pools[0], raw.pools[0]] }]) {
    const expected = problems(d, validateConfig);
    expect(expected.length).toBeGreaterThan(0);
    expect(problems(d, (x) => validateConfigReusing(x, seen))).toEqual(expected);
  }
});

test("a node adopting a revision another process wrote serves it (a store handing back new objects keeps nothing by identity, and needs not)", async () => {
  const store = openStore(":memory:");
  const holder = new SnapshotHolder();
  const control = new ConfigControl({ store, holder });
  await control.apply(stored(), { source: "api", summary: "one" });
  // Another process writes pool c; this node's store hands back unchanged resources as new objects
  // (SQLite), so nothing is kept by identity here, but every pool is still compiled correctly.
  const other = new ConfigControl({ store, holder: new SnapshotHolder() });
  await other.change((c) => ({ ...c.doc, pools: c.doc.pools.map((p) => (p.name === "c" ? { ...p, backends: [{ address: "10.0.2.9:80" }] } : p)) }), { source: "api", summary: "two" });
  expect(await control.adoptStored()).toEqual({ revision: 2, outcome: "published" });
  expect(holder.current()!.pools.c!.backends.map((b) => b.address)).toEqual(["10.0.2.9:80"]);
  store.close();
});
