import { describe, expect, test } from "bun:test";
import { canonicalJson, validateConfig } from "../../src/config/index.ts";
import { openStore } from "../../src/store/index.ts";
import { genConfig } from "../helpers/config-gen.ts";

const SEEDS = Array.from({ length: 60 }, (_, i) => 1000 + i * 7919);

describe("round trip", () => {
  test("read(write(doc)) equals the validated doc, and writing it again changes nothing", async () => {
    const store = openStore(":memory:");
    try {
      let revision = 0;
      for (const seed of SEEDS) {
        const doc = validateConfig(genConfig(seed));
        const first = await store.write(doc, { source: "api", summary: `seed ${seed}` });
        if (first.changed) revision++;
        expect(first.revision).toBe(revision);
        const read = store.read();
        expect(read.revision).toBe(revision);
        expect(canonicalJson(read.doc)).toBe(canonicalJson(doc));
        expect(read.doc).toEqual(doc);
        // What is read back validates to itself and writes as a no-op.
        expect(canonicalJson(validateConfig(read.doc))).toBe(canonicalJson(read.doc));
        expect(await store.write(read.doc, { source: "api", summary: "again" })).toEqual({ revision, changed: false });
        expect(await store.write(validateConfig(genConfig(seed)), { source: "api", summary: "regenerated" })).toEqual({ revision, changed: false });
      }
      expect(revision).toBeGreaterThan(SEEDS.length / 2);
    } finally {
      store.close();
    }
  });

  test("key order does not matter for change detection", async () => {
    const store = openStore(":memory:");
    try {
      const doc = validateConfig(genConfig(42));
      await store.write(doc, { source: "api", summary: "one" });
      const reversed = JSON.parse(JSON.stringify(doc, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
      expect(Object.keys(reversed)).toEqual(Object.keys(doc).reverse());
      expect((await store.write(reversed, { source: "api", summary: "reversed" })).changed).toBe(false);
    } finally {
      store.close();
    }
  });

  test("the generator covers every protocol and algorithm over the seeds", () => {
    const protocols = new Set<string>();
    const algorithms = new Set<string>();
    for (const seed of SEEDS) {
      const doc = validateConfig(genConfig(seed));
      for (const l of doc.listeners) protocols.add(l.protocol);
      for (const p of doc.pools) algorithms.add(p.algorithm);
    }
    expect([...protocols].sort()).toEqual(["http", "https", "tcp", "tls_passthrough", "udp"]);
    expect(algorithms.size).toBe(8);
  });
});
