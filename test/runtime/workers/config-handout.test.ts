/**
 * The config hand-out to workers: ConfigFeed turns revisions into deltas, SnapshotBuilder rebuilds
 * snapshots from them. Whatever the sequence of documents, the rebuilt snapshot matches a full
 * compile of the last one, reuses what did not change, and a fresh worker (full()) gets the same.
 */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig, type ConfigDoc, type Snapshot, type SnapshotListener } from "../../../src/config/index.ts";
import { newPickContext } from "../../../src/balance/index.ts";
import { ConfigFeed } from "../../../src/runtime/workers/config-feed.ts";
import { SnapshotBuilder } from "../../../src/runtime/workers/snapshot-builder.ts";
import { nextResourceRevisions } from "../../../src/store/index.ts";
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

/** Every pool a listener holds (default, routes, SNI rules and table) is the snapshot's pool of that name: none is stale. */
function expectLinked(s: Snapshot): void {
  for (const l of s.listeners) {
    if (l.pool) expect(l.pool).toBe(s.pools[l.pool.name]!);
    for (const r of l.routes) if (r.pool) expect(r.pool).toBe(s.pools[r.pool.name]!);
    for (const rule of l.sni) {
      expect(rule.pool).toBe(s.pools[rule.pool.name]!);
      for (const n of rule.names) {
        const hit = l.sniTable?.lookup(n.wildcard ? `x${n.suffix}` : n.suffix);
        if (l.sniTable) expect(hit).toBe(s.pools[hit!.name]!);
      }
    }
  }
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
        expectLinked(built);
      }
      // A worker that starts now gets everything at once, and the same.
      expect(meaning(new SnapshotBuilder().apply(feed.full()))).toEqual(meaning(compileSnapshot(doc!, 4)));
    }
  });

  test("with the store's resource revisions, deltas over random revisions rebuild what a full compile gives", () => {
    const empty = validateConfig({ listeners: [], pools: [] });
    for (let seed = 1; seed <= 25; seed++) {
      const feed = new ConfigFeed();
      const worker = new SnapshotBuilder();
      let before = { doc: empty, resources: new Map<string, number>() };
      for (let rev = 1; rev <= 6; rev++) {
        // Every other revision edits the one before (a weight), the rest are new documents.
        const doc = rev % 2 === 0 ? structuredClone(before.doc) : validateConfig(genConfig(seed * 10 + rev, { certificates: true }));
        const pool = doc.pools[rev % Math.max(1, doc.pools.length)];
        if (rev % 2 === 0 && pool?.backends[0]) pool.backends[0].weight = (pool.backends[0].weight % 999) + 1;
        const resources = nextResourceRevisions(before.doc, before.resources, doc, rev);
        const built = worker.apply(feed.next(doc, rev, new Map(), { resources }).json);
        expect(meaning(built)).toEqual(meaning(compileSnapshot(doc, rev)));
        expectLinked(built);
        before = { doc, resources };
      }
      expect(meaning(new SnapshotBuilder().apply(feed.full()))).toEqual(meaning(compileSnapshot(before.doc, 6)));
    }
  });

  test("with the store's resource revisions, one edited pool of 1,000 is the only resource serialized", () => {
    const make = (weight: number) =>
      validateConfig({
        listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "p0", routes: [{ name: "r", match: { path_prefix: "/" }, pool: "p1" }] }],
        pools: Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}`, backends: [{ address: `10.0.${i >> 8}.${i & 255}:80`, weight: i === 7 ? weight : 1 }] })),
      });
    const feed = new ConfigFeed();
    const w = new SnapshotBuilder();
    let before = { doc: make(1), resources: new Map<string, number>() };
    before.resources = nextResourceRevisions(validateConfig({ listeners: [], pools: [] }), new Map(), before.doc, 1);
    const first = w.apply(feed.next(before.doc, 1, new Map(), before).json);
    const stringify = JSON.stringify;
    let calls = 0;
    for (let rev = 2; rev <= 4; rev++) {
      const doc = make(rev);
      const resources = nextResourceRevisions(before.doc, before.resources, doc, rev);
      calls = 0;
      JSON.stringify = ((...a: Parameters<typeof stringify>) => (calls++, stringify(...a))) as typeof stringify;
      let delta;
      try {
        delta = feed.next(doc, rev, new Map(), { resources });
      } finally {
        JSON.stringify = stringify;
      }
      expect(calls).toBe(2); // the pool, then the delta around it
      expect(Object.keys(JSON.parse(delta.json).pools)).toEqual(["p7"]);
      const s = w.apply(delta.json);
      expect(s.pools.p7!.backends[0]!.weight).toBe(rev);
      expect(s.pools.p8).toBe(first.pools.p8!);
      expect(Object.keys(s.pools)).toEqual(Object.keys(first.pools));
      before = { doc, resources };
    }
  });

  test("a revision that changes no pool keeps the very pool table; one that changes a pool copies it in document order", () => {
    const make = (address: string, weight: number) =>
      validateConfig({
        listeners: [{ name: "a", protocol: "tcp", address, pool: "p1" }],
        pools: [0, 1, 2].map((i) => ({ name: `p${i}`, backends: [{ address: `10.0.0.${i}:80`, weight: i === 2 ? weight : 1 }] })),
      });
    const feed = new ConfigFeed();
    const w = new SnapshotBuilder();
    const first = w.apply(feed.next(make("127.0.0.1:0", 1), 1).json);
    const moved = w.apply(feed.next(make("127.0.0.2:0", 1), 2).json);
    expect(moved.pools).toBe(first.pools);
    expect(moved.listeners[0]!.address).toBe("127.0.0.2:0");
    const edited = w.apply(feed.next(make("127.0.0.2:0", 3), 3).json);
    expect(edited.pools).not.toBe(first.pools);
    expect(Object.keys(edited.pools)).toEqual(["p0", "p1", "p2"]);
    expect(edited.pools.p2!.backends[0]!.weight).toBe(3);
    expect(Object.isFrozen(edited.pools)).toBe(true);
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

  test("a changed pool reaches every route, SNI rule and default of a listener that names it; the other routes stay the same objects", () => {
    const make = (weight: number) =>
      validateConfig({
        listeners: [
          { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "p0", routes: [
            { name: "named", match: { path_prefix: "/a" }, pool: "p0" },
            { name: "fallback", match: { path_prefix: "/b" } },
            { name: "other", match: { path_prefix: "/c" }, pool: "p1" },
            { name: "away", match: { path_prefix: "/d" }, redirect: { status: 301, scheme: "https" } },
          ] },
          { name: "pass", protocol: "tls_passthrough", address: "127.0.0.1:0", pool: "p1", sni: [{ names: ["a.test"], pool: "p0" }, { names: ["*.b.test"], pool: "p1" }] },
        ],
        pools: [0, 1].map((i) => ({ name: `p${i}`, backends: [{ address: `10.0.0.${i}:80`, weight: i === 0 ? weight : 1 }] })),
      });
    const feed = new ConfigFeed();
    const w = new SnapshotBuilder();
    const first = w.apply(feed.next(make(1), 1).json);
    for (let rev = 2; rev <= 4; rev++) {
      const s = w.apply(feed.next(make(rev), rev).json);
      expect(meaning(s)).toEqual(meaning(compileSnapshot(make(rev), rev)));
      expectLinked(s);
      const [web, pass] = s.listeners as [SnapshotListener, SnapshotListener];
      expect(web.pool!.backends[0]!.weight).toBe(rev);
      expect(web.routes.map((r) => r.pool?.backends[0]!.weight)).toEqual([rev, rev, 1, undefined]);
      expect(web.routes[2]).toBe(first.listeners[0]!.routes[2]!); // names an unchanged pool
      expect(web.routes[3]).toBe(first.listeners[0]!.routes[3]!);
      expect(pass.sniTable!.lookup("a.test")!.backends[0]!.weight).toBe(rev);
      expect(pass.sniTable!.lookup("x.b.test")).toBe(s.pools.p1!);
      expect(pass.pool).toBe(first.listeners[1]!.pool!);
      expect(Object.isFrozen(web) && Object.isFrozen(web.routes) && Object.isFrozen(web.routes[0]) && Object.isFrozen(pass.sni)).toBe(true);
    }
  });

  test("over random documents whose pools change content only, workers serve what a full compile gives", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const base = validateConfig(genConfig(seed, { certificates: true }));
      const feed = new ConfigFeed();
      const w = new SnapshotBuilder();
      w.apply(feed.next(base, 1).json);
      for (let rev = 2; rev <= 4; rev++) {
        // Another weight on one backend of one pool (every revision a different pool, when there are several).
        const doc = structuredClone(base);
        const pool = doc.pools[(seed + rev) % doc.pools.length];
        if (pool?.backends[0]) pool.backends[0].weight = (pool.backends[0].weight + rev) % 1000;
        const s = w.apply(feed.next(doc, rev).json);
        expect(meaning(s)).toEqual(meaning(compileSnapshot(doc, rev)));
        expectLinked(s);
      }
    }
  });

  test("the same document again (backends found in DNS changed) sends no resource; an equal new one neither; a changed one its change", () => {
    const make = (weight: number) => validateConfig({ listeners: [{ name: "a", protocol: "tcp", address: "127.0.0.1:0", pool: "p" }], pools: [{ name: "p", backends: [{ address: "10.0.0.1:80", weight }] }, { name: "q", backends: [] }] });
    const feed = new ConfigFeed();
    const w = new SnapshotBuilder();
    const doc = make(1);
    w.apply(feed.next(doc, 1).json);
    const found = new Map([["q", [{ host: "10.0.0.9", port: 80, weight: 1, state: "active" as const }]]]);
    const again = feed.next(doc, 1, found);
    expect(JSON.parse(again.json)).toMatchObject({ listeners: {}, pools: {}, certificates: {} });
    expect([...again.changedPools]).toEqual(["q"]);
    expect(w.apply(again.json).pools.q!.backends.map((b) => b.address)).toEqual(["10.0.0.9:80"]);
    expect(Object.keys(JSON.parse(feed.next(make(1), 2, found).json).pools)).toEqual([]);
    const changed = feed.next(make(5), 3, found);
    expect(Object.keys(JSON.parse(changed.json).pools)).toEqual(["p"]);
    expect(w.apply(changed.json).listeners[0]!.pool!.backends[0]!.weight).toBe(5);
  });
  test("the store's revisions are read only for a resource that is not the object sent (a cluster store computes them on first read)", () => {
    const doc = validateConfig({ listeners: [], pools: Array.from({ length: 3 }, (_, i) => ({ name: `p${i}`, backends: [{ address: `10.0.0.${i}:80` }] })) });
    let reads = 0;
    const source = (revisions: Map<string, number>) => ({
      get resources() {
        reads++;
        return revisions;
      },
    });
    const feed = new ConfigFeed();
    feed.next(doc, 1, new Map(), source(new Map([["pool/p0", 1], ["pool/p1", 1], ["pool/p2", 1]])));
    reads = 0;
    // Every resource the very object sent (a cluster store keeps unchanged ones): nothing to ask.
    const same = { ...doc, pools: [...doc.pools] };
    expect(Object.keys(JSON.parse(feed.next(same, 2, new Map(), source(new Map())).json).pools)).toEqual([]);
    expect(reads).toBe(0);
    // One pool a new object: asked for it.
    const p1 = { ...doc.pools[1]!, backends: [{ ...doc.pools[1]!.backends[0]!, weight: 7 }] };
    const edited = { ...doc, pools: [doc.pools[0]!, p1, doc.pools[2]!] };
    expect(Object.keys(JSON.parse(feed.next(edited, 3, new Map(), source(new Map([["pool/p1", 3]]))).json).pools)).toEqual(["p1"]);
    expect(reads).toBeGreaterThan(0);
  });
});
