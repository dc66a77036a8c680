/**
 * The config hand-out to workers: ConfigFeed turns revisions into deltas, SnapshotBuilder rebuilds
 * snapshots from them. Whatever the sequence of documents, the rebuilt snapshot matches a full
 * compile of the last one, reuses what did not change, and a fresh worker (full()) gets the same.
 */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig, type ConfigDoc, type Snapshot } from "../../../src/config/index.ts";
import { newPickContext } from "../../../src/balance/index.ts";
import { ConfigFeed } from "../../../src/runtime/workers/config-feed.ts";
import { SnapshotBuilder } from "../../../src/runtime/workers/snapshot-builder.ts";
import { genConfig } from "../../helpers/config-gen.ts";

/** What a snapshot means, without compiled objects: names, settings, references by name, and the first picks of each selector. */
function meaning(s: Snapshot): unknown {
  const pools = Object.values(s.pools).map((p) => {
    const { selector, backends, usable, ...rest } = p;
    const picks = Array.from({ length: 8 }, (_, k) => selector.pick(newPickContext(`key-${k}`), 0));
    return { ...rest, backends: backends.map((b) => b.address), usable: usable.map((b) => b.address), selector: selector.name, hashing: p.hashOn ? picks : undefined };
  });
  const listeners = s.listeners.map((l) => ({
    name: l.name, protocol: l.protocol, address: l.address, pool: l.pool?.name,
    routes: l.routes.map((r) => ({ name: r.name, pool: r.pool?.name, match: { ...r.match, pathRegex: r.match.pathRegex?.source, host: String(r.match.host ?? "") } })),
    certificates: l.certificates.map((c) => c.name),
    sni: l.sni.map((r) => r.pool.name),
  }));
  return { revision: s.revision, pools, listeners, certificates: Object.keys(s.certificates) };
}

describe("config hand-out", () => {
  test("deltas over random revisions rebuild what a full compile gives", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const feed = new ConfigFeed();
      const worker = new SnapshotBuilder();
      let doc: ConfigDoc | undefined;
      for (let rev = 1; rev <= 4; rev++) {
        doc = validateConfig(genConfig(seed * 10 + rev, { certificates: true }));
        const built = worker.apply(feed.next(doc, rev).json);
        expect(meaning(built)).toEqual(meaning(compileSnapshot(doc, rev)));
      }
      // A worker that starts now gets everything at once, and the same.
      expect(meaning(new SnapshotBuilder().apply(feed.full()))).toEqual(meaning(compileSnapshot(doc!, 4)));
    }
  });

  test("a revision that changes one pool recompiles that pool only; the rest are the same objects", () => {
    const make = (weight: number) =>
      validateConfig({
        listeners: [{ name: "a", protocol: "http", address: "127.0.0.1:0", pool: "p0" }, { name: "b", protocol: "tcp", address: "127.0.0.1:0", pool: "p2" }],
        pools: [0, 1, 2].map((i) => ({ name: `p${i}`, backends: [{ address: `10.0.0.${i}:80`, weight: i === 1 ? weight : 1 }] })),
      });
    const feed = new ConfigFeed();
    const w = new SnapshotBuilder();
    const first = w.apply(feed.next(make(1), 1).json);
    const delta = feed.next(make(2), 2);
    expect([...delta.changedPools]).toEqual(["p1"]);
    expect(JSON.parse(delta.json).order).toBeUndefined(); // nothing added, removed or moved
    const second = w.apply(delta.json);
    expect(second.pools.p0).toBe(first.pools.p0);
    expect(second.pools.p2).toBe(first.pools.p2);
    expect(second.pools.p1).not.toBe(first.pools.p1);
    expect(second.listeners[0]).toBe(first.listeners[0]); // names no changed pool
    expect(Object.isFrozen(second) && Object.isFrozen(second.pools) && Object.isFrozen(second.pools.p1)).toBe(true);
  });

  test("removing a pool reports it and rebuilds the listeners that named it", () => {
    const feed = new ConfigFeed();
    const w = new SnapshotBuilder();
    w.apply(feed.next(validateConfig({ listeners: [{ name: "a", protocol: "tcp", address: "127.0.0.1:0", pool: "p" }], pools: [{ name: "p", backends: [] }, { name: "q", backends: [] }] }), 1).json);
    const delta = feed.next(validateConfig({ listeners: [{ name: "a", protocol: "tcp", address: "127.0.0.1:0", pool: "q" }], pools: [{ name: "q", backends: [] }] }), 2);
    expect(delta.removedPools).toEqual(["p"]);
    const s = w.apply(delta.json);
    expect(Object.keys(s.pools)).toEqual(["q"]);
    expect(s.listeners[0]!.pool).toBe(s.pools.q);
  });
});
