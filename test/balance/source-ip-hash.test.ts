import { describe, expect, test } from "bun:test";
import { createSelector } from "../../src/balance/index.ts";
import { clientKey, ctxOf, pool, runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "source_ip_hash", algorithm: "source_ip_hash" });

describe("source_ip_hash", () => {
  test("is Maglev keyed on the client address: the same table and the same picks", () => {
    const backends = pool(17, (i) => 1 + (i % 2));
    const a = createSelector(backends, { algorithm: "source_ip_hash", tableSize: 1009 });
    const b = createSelector(backends, { algorithm: "maglev", tableSize: 1009 });
    expect(a.table).toEqual(b.table!);
    for (let k = 0; k < 1000; k++) expect(a.pick(ctxOf(clientKey(k)), 0)).toBe(b.pick(ctxOf(clientKey(k)), 0));
  });
});
