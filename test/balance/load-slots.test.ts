import { describe, expect, test } from "bun:test";
import { boundedLoad, createSelector, newPickContext, weightTable, buildMaglev, hashingSelector } from "../../src/balance/index.ts";

const backends = ["a:1", "b:1", "c:1"].map((key) => ({ key, weight: 1 }));
/** A node-wide load table: the three backends live at slots 7, 2 and 5. */
const slots = Int32Array.from([7, 2, 5]);

describe("load read through slots (a node's shared load)", () => {
  test("least_connections picks the backend whose slot holds the least load", () => {
    const s = createSelector(backends, { algorithm: "least_connections" });
    const table = new Int32Array(8);
    table[7] = 4;
    table[2] = 1;
    table[5] = 3;
    for (let k = 0; k < 50; k++) expect(s.pick(newPickContext(undefined, table, undefined, slots), 0)).toBe(1);
    table[2] = 9; // another worker took more work to b
    for (let k = 0; k < 50; k++) expect(s.pick(newPickContext(undefined, table, undefined, slots), 0)).toBe(2);
  });

  test("power_of_two never picks the most loaded of three when the other two are idle", () => {
    const s = createSelector(backends, { algorithm: "power_of_two" });
    const table = new Int32Array(8);
    table[2] = 100;
    for (let k = 0; k < 200; k++) expect(s.pick(newPickContext(undefined, table, undefined, slots), 0)).not.toBe(1);
  });

  test("bounded load moves a key off a backend whose slot is over its cap", () => {
    const t = weightTable(backends);
    const s = hashingSelector("maglev", boundedLoad(buildMaglev(backends, 251), t, 1.25), t);
    const table = new Int32Array(8);
    const home = s.pick(newPickContext("client-1", table, undefined, slots), 0);
    table[slots[home]!] = 10;
    const ctx = newPickContext("client-1", table, undefined, slots);
    ctx.loadTotal = 10;
    expect(s.pick(ctx, 0)).not.toBe(home);
  });
});
