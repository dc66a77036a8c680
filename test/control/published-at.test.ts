/**
 * ConfigControl.publishedAt: the document a revision was published from, with its resources'
 * revisions, so a node of workers hands a revision out without reading the store again. Whatever
 * path published it (a write, an unchanged write catching the holder up, startup, a store moved by
 * another writer), it is what store.read() gives at that revision.
 */
import { describe, expect, test } from "bun:test";
import { canonicalJson, sameDoc, SnapshotHolder, type ConfigDocInput } from "../../src/config/index.ts";
import { ConfigControl, type ChangeOptions } from "../../src/control/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";

const opts: ChangeOptions = { source: "api", summary: "test" };
const doc = (weight: number, pools = 3): ConfigDocInput => ({
  listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "p0", routes: [{ name: "r", match: { path_prefix: "/" }, pool: "p1" }] }],
  pools: Array.from({ length: pools }, (_, i) => ({ name: `p${i}`, backends: [{ address: `10.0.0.${i + 1}:80`, weight: i === 1 ? weight : 1 }] })),
});

/** publishedAt(revision) is what the store holds at that revision: the same document (as compiled) and resource revisions. */
function expectAsStored(control: ConfigControl, store: Store, revision: number): void {
  const stored = store.read();
  expect(stored.revision).toBe(revision);
  const published = control.publishedAt(revision)!;
  expect(published.revision).toBe(revision);
  expect(new Map(published.resources)).toEqual(new Map(stored.resources));
  // The same document, key order aside (the store reads its rows back in its own order).
  expect(sameDoc(published.doc, stored.doc)).toBe(true);
  expect(canonicalJson(published.doc)).toBe(canonicalJson(stored.doc));
}

describe("ConfigControl.publishedAt", () => {
  test("after writes it is the document and resource revisions the store holds; another revision gives nothing", async () => {
    const store = openStore(":memory:");
    const holder = new SnapshotHolder();
    const control = new ConfigControl({ store, holder });
    expect(control.publishedAt(0)).toBeUndefined();
    await control.apply(doc(1), opts);
    expectAsStored(control, store, 1);
    await control.apply(doc(5), opts);
    expectAsStored(control, store, 2);
    // Only p1 moved: its revision (and its backend's) is 2, the others kept 1.
    expect(control.publishedAt(2)!.resources.get("pool/p1")).toBe(2);
    expect(control.publishedAt(2)!.resources.get("pool/p0")).toBe(1);
    expect(control.publishedAt(1)).toBeUndefined();
    await control.apply(doc(5, 4), opts);
    expectAsStored(control, store, 3);
    store.close();
  });

  test("startup (publishStored), a holder caught up by an unchanged write, and a store moved by another writer (adoptStored) each record what they published", async () => {
    const store = openStore(":memory:");
    // Another process wrote revisions 1 and 2 through its own control.
    const other = new ConfigControl({ store, holder: new SnapshotHolder() });
    await other.apply(doc(1), opts);
    await other.apply(doc(2), opts);
    const holder = new SnapshotHolder();
    const control = new ConfigControl({ store, holder });
    control.publishStored();
    expectAsStored(control, store, 2);
    await other.apply(doc(3), opts);
    expect((await control.adoptStored()).outcome).toBe("published");
    expectAsStored(control, store, 3);
    await other.apply(doc(4), opts);
    // The same document as stored, while the holder trails: published as the stored revision.
    const r = await control.apply(doc(4), opts);
    expect(r.changed).toBe(false);
    expect(holder.current()!.revision).toBe(4);
    expectAsStored(control, store, 4);
    store.close();
  });
});
