/**
 * Backends found in DNS reach the workers with the config: the feed asks for them by the pools of
 * the document that look names up, so a revision of a thousand pools looks at those alone, and a
 * pool that starts or stops looking names up is in (or out of) that list in the same revision.
 */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, poolWithFound, validateConfig, type FoundBackend, type Snapshot } from "../../../src/config/index.ts";
import { ConfigFeed, foundIn } from "../../../src/runtime/workers/config-feed.ts";
import { SnapshotBuilder } from "../../../src/runtime/workers/snapshot-builder.ts";

const DNS = { dns: "app.test", port: 80, resolvers: ["127.0.0.1:5353"] };
const FOUND: FoundBackend[] = [{ host: "10.9.0.1", port: 80, weight: 1, state: "active" }];

/** 1,000 pools; those in `discovering` look names up. */
function doc(discovering: readonly number[]) {
  return validateConfig({
    pools: Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}`, backends: [{ address: `10.0.${i >> 8}.${i & 255}:80` }], ...(discovering.includes(i) ? { discovery: DNS } : {}) })),
  });
}

/** `snap` as the control part serves it: each discovering pool with FOUND. */
function withFound(snap: Snapshot): Snapshot {
  const pools = { ...snap.pools };
  for (const p of Object.values(pools)) if (p.discovery) pools[p.name] = poolWithFound(p, FOUND);
  return { ...snap, pools };
}

describe("backends found in DNS in the hand-out", () => {
  test("the feed asks for the found backends of the discovering pools only, and a pool that starts or stops discovering counts in that revision", () => {
    const feed = new ConfigFeed();
    const worker = new SnapshotBuilder();
    const asked: string[][] = [];
    const hand = (discovering: number[], rev: number) => {
      const d = doc(discovering);
      const snap = withFound(compileSnapshot(d, rev));
      const out = feed.next(d, rev, (pools) => (asked.push([...pools].sort()), foundIn(snap, pools)));
      return { out, built: worker.apply(out.json), snap };
    };
    const first = hand([3], 1);
    expect(asked.at(-1)).toEqual(["p3"]);
    expect(first.built.pools.p3!.backends.map((b) => b.address)).toEqual(["10.0.0.3:80", "10.9.0.1:80"]);
    // p5 starts discovering: its found backends go out with the revision that says so.
    const second = hand([3, 5], 2);
    expect(asked.at(-1)).toEqual(["p3", "p5"]);
    expect([...second.out.changedPools].sort()).toEqual(["p5"]);
    expect(second.built.pools.p5!.backends.map((b) => b.address)).toEqual(["10.0.0.5:80", "10.9.0.1:80"]);
    // p3 stops: it is no longer asked about, and its found backends are withdrawn.
    const third = hand([5], 3);
    expect(asked.at(-1)).toEqual(["p5"]);
    expect(third.built.pools.p3!.backends.map((b) => b.address)).toEqual(["10.0.0.3:80"]);
    // A worker that starts now gets the same, whole.
    const fresh = new SnapshotBuilder().apply(feed.full());
    expect(fresh.pools.p5!.backends.map((b) => b.address)).toEqual(third.built.pools.p5!.backends.map((b) => b.address));
    expect(fresh.pools.p3!.backends.map((b) => b.address)).toEqual(["10.0.0.3:80"]);
  });

  test("foundIn lists the found backends of the pools named, and none of a pool without discovery", () => {
    const snap = withFound(compileSnapshot(doc([1, 2]), 1));
    expect([...foundIn(snap, ["p1", "p7", "gone"])]).toEqual([["p1", FOUND]]);
    expect(foundIn(snap, []).size).toBe(0);
  });
});
