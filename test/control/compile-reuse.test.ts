/**
 * The write path compiles each revision against the snapshot being served: a hashing pool whose
 * table inputs did not change keeps its table (no 65,537-slot rebuild per pool per revision);
 * a changed backend set, weight, size or algorithm builds a new one.
 */
import { expect, test } from "bun:test";
import { compileSnapshot, SnapshotHolder, validateConfig } from "../../src/config/index.ts";
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
