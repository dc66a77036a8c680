/**
 * The PoolRegistry takes in a worker's rebuilt snapshot through the note of what changed
 * (pool-changes.ts): it reads the changed pools only, and ends in the state a registry that walks
 * every pool reaches, whatever the revisions (edits, added and removed pools, skipped tables).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { validateConfig, type ConfigDoc, type Snapshot, type SnapshotPool } from "../../../src/config/index.ts";
import { PoolRegistry } from "../../../src/runtime/index.ts";
import { notePoolChanges } from "../../../src/runtime/pools/pool-changes.ts";
import { ConfigFeed } from "../../../src/runtime/workers/config-feed.ts";
import { SnapshotBuilder } from "../../../src/runtime/workers/snapshot-builder.ts";
import { genConfig, mulberry32 } from "../../helpers/config-gen.ts";

const registries: PoolRegistry[] = [];
afterAll(() => registries.forEach((r) => r.stop()));

function registry(): PoolRegistry {
  const r = new PoolRegistry({ healthWorker: false });
  registries.push(r);
  return r;
}

/** The same snapshot with a copy of its pool table: no note names the copy, so a registry walks it whole. */
function unnoted(s: Snapshot): Snapshot {
  return Object.freeze({ ...s, pools: Object.freeze({ ...s.pools }) });
}

/** Each pool the registry serves, by name, as the compiled object it serves from. */
function served(r: PoolRegistry): Map<string, SnapshotPool> {
  return new Map([...r.all()].map((rt) => [rt.name, rt.config]));
}

describe("pool changes", () => {
  test("a registry fed a worker's snapshots serves what one that walks every pool serves, over edits, additions, removals and skipped revisions", () => {
    for (let seed = 1; seed <= 15; seed++) {
      const rng = mulberry32(seed);
      const feed = new ConfigFeed();
      const worker = new SnapshotBuilder();
      const noted = registry();
      const walked = registry();
      let doc: ConfigDoc = validateConfig(genConfig(seed));
      for (let rev = 1; rev <= 12; rev++) {
        const roll = rng();
        if (rev > 1 && roll < 0.2) {
          doc = validateConfig(genConfig(seed * 100 + rev)); // pools come and go (a reorder)
        } else if (rev > 1 && doc.pools.length > 0) {
          // One backend's weight in one pool, as an edit through the admin API makes it.
          doc = structuredClone(doc);
          const pool = doc.pools[Math.floor(rng() * doc.pools.length)]!;
          if (pool.backends[0]) pool.backends[0].weight = (pool.backends[0].weight % 999) + 1;
        }
        const snap = worker.apply(feed.next(doc, rev).json);
        // Now and then the registry misses a revision (its note then names a table it never saw).
        if (rev > 1 && roll > 0.85) continue;
        noted.apply(snap);
        walked.apply(unnoted(snap));
        const want = new Map(Object.values(snap.pools).map((p) => [p.name, p] as const));
        expect([...served(noted).keys()].sort()).toEqual([...want.keys()].sort());
        expect([...served(noted)].every(([name, p]) => p === want.get(name))).toBe(true);
        expect([...served(walked)].every(([name, p]) => p === want.get(name))).toBe(true);
        expect([...served(walked).keys()].sort()).toEqual([...served(noted).keys()].sort());
      }
    }
  });

  test("a one-pool change of 1,000 reads that pool's entry only, never the others or the table's keys", () => {
    const make = (weight: number) =>
      validateConfig({ pools: Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}`, backends: [{ address: `10.0.${i >> 8}.${i & 255}:80`, weight: i === 7 ? weight : 1 }] })) });
    const feed = new ConfigFeed();
    const worker = new SnapshotBuilder();
    const r = registry();
    const first = worker.apply(feed.next(make(1), 1).json);
    r.apply(first);
    const second = worker.apply(feed.next(make(2), 2).json);
    // The same table behind a proxy that records what is read of it, noted as the builder noted the real one.
    const read: string[] = [];
    let listed = 0;
    const watched = new Proxy(second.pools, {
      get: (t, k) => (typeof k === "string" && read.push(k), Reflect.get(t, k)),
      ownKeys: (t) => (listed++, Reflect.ownKeys(t)),
    });
    notePoolChanges(watched, first.pools, new Set(["p7"]));
    r.apply({ ...second, pools: watched });
    expect(listed).toBe(0);
    expect(new Set(read)).toEqual(new Set(["p7"]));
    expect(r.current("p7")!.config).toBe(second.pools.p7!);
    expect(r.current("p8")!.config).toBe(first.pools.p8!);
    // Without the note the same table is walked whole.
    const third = worker.apply(feed.next(make(3), 3).json);
    const copy = unnoted(third);
    r.apply(copy);
    expect(r.current("p7")!.config).toBe(third.pools.p7!);
    expect(served(r).size).toBe(1000);
  });
});
