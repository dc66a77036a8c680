import { describe, expect, test } from "bun:test";
import { buildMaglev, createSelector, hashKey } from "../../src/balance/index.ts";
import { maglevTable } from "../../src/wasm/index.ts";
import { clientKey, ctxOf, pool, runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "maglev", algorithm: "maglev" });
runSelectorContract({ name: "maglev (table 251)", algorithm: "maglev", opts: { tableSize: 251 }, skip: { weights: "251 slots cannot split 1:2:3:4 within 1%", removal: "251 slots for 100 backends is below Maglev's M >> N" } });

describe("maglev", () => {
  test("uses the WASM table as built, with the pool's table size", () => {
    const backends = pool(13, (i) => 1 + (i % 3));
    for (const size of [251, 65537]) {
      const t = buildMaglev(backends, size);
      expect(t.slots).toEqual(maglevTable(backends.map((b) => b.key), backends.map((b) => b.weight), size));
    }
  });

  test("counts the backends that own slots, also when there are more backends than slots", () => {
    for (const [n, size, weight] of [[13, 251, (i: number) => i % 3], [9, 7, () => 1], [12, 7, (i: number) => (i % 4 === 0 ? 0 : i)], [4, 3, () => 0]] as const) {
      const backends = pool(n, weight);
      const t = buildMaglev(backends, size);
      expect(t.backends).toBe(new Set([...t.slots].filter((i) => i >= 0)).size);
    }
  });

  test("looks a key up at slot hash mod table size", () => {
    const backends = pool(9);
    const s = createSelector(backends, { algorithm: "maglev", tableSize: 251 });
    const table = s.table!;
    for (let k = 0; k < 2000; k++) {
      const key = clientKey(k * 31);
      expect(s.pick(ctxOf(key), 0)).toBe(table[hashKey(key) % 251]!);
    }
  });

  test("a retry walks on to the next distinct backends along the table", () => {
    const s = createSelector(pool(5), { algorithm: "maglev", tableSize: 251 });
    const table = s.table!;
    for (let k = 0; k < 500; k++) {
      const key = clientKey(k);
      let slot = hashKey(key) % 251;
      const walk: number[] = [];
      while (walk.length < 3) {
        if (!walk.includes(table[slot]!)) walk.push(table[slot]!);
        slot = (slot + 1) % 251;
      }
      expect([0, 1, 2].map((a) => s.pick(ctxOf(key), a))).toEqual(walk);
    }
  });
});
