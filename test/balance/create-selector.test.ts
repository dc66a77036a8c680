import { describe, expect, test } from "bun:test";
import { ALGORITHMS, createSelector, type BalanceBackend, type PoolLbOptions } from "../../src/balance/index.ts";
import { isLbError, type ErrorCode } from "../../src/errors.ts";
import { pool } from "./selector.contract.ts";

function codeOf(backends: readonly BalanceBackend[], opts: PoolLbOptions): ErrorCode | undefined {
  try {
    createSelector(backends, opts);
    return undefined;
  } catch (e) {
    return isLbError(e) ? e.code : undefined;
  }
}

describe("createSelector", () => {
  test("builds every algorithm, named after it", () => {
    for (const algorithm of ALGORITHMS) expect(createSelector(pool(3), { algorithm }).name).toBe(algorithm);
  });

  test("rejects an unknown algorithm, bad weights and duplicate or empty keys", () => {
    const bad = [
      [pool(2), { algorithm: "fastest" as never }],
      [[{ key: "a:1", weight: -1 }], { algorithm: "random" }],
      [[{ key: "a:1", weight: Number.NaN }], { algorithm: "maglev" }],
      [[{ key: "a:1", weight: Infinity }], { algorithm: "round_robin" }],
      [[{ key: "a:1", weight: 1 }, { key: "a:1", weight: 2 }], { algorithm: "ring_hash" }],
      [[{ key: "", weight: 1 }], { algorithm: "least_connections" }],
    ] as const;
    for (const [b, o] of bad) expect(codeOf(b, o)).toBe("CONFIG_INVALID");
  });

  test("rejects options that do not fit the algorithm", () => {
    expect(codeOf(pool(2), { algorithm: "round_robin", hashBalanceFactor: 1.25 })).toBe("CONFIG_INVALID");
    expect(codeOf(pool(2), { algorithm: "maglev", hashBalanceFactor: 0.9 })).toBe("CONFIG_INVALID");
    expect(codeOf(pool(2), { algorithm: "ring_hash", hashBalanceFactor: Number.NaN })).toBe("CONFIG_INVALID");
    expect(codeOf(pool(2), { algorithm: "ring_hash", ringMinSize: 0 })).toBe("CONFIG_INVALID");
    expect(codeOf(pool(2), { algorithm: "ring_hash", ringMinSize: 2 ** 24 })).toBe("CONFIG_INVALID");
    expect(codeOf(pool(2), { algorithm: "source_ip_hash", hashOn: { kind: "header", name: "x" } })).toBe("CONFIG_INVALID");
    expect(codeOf(pool(2), { algorithm: "maglev", tableSize: 65536 })).toBe("MAGLEV_TABLE_SIZE");
    expect(codeOf([{ key: "a:1", weight: 1.5 }], { algorithm: "maglev" })).toBe("CONFIG_INVALID");
  });

  test("hashing selectors expose their table; the others none", () => {
    for (const algorithm of ALGORITHMS) {
      const s = createSelector(pool(3), { algorithm, tableSize: 251 });
      if (algorithm === "maglev" || algorithm === "source_ip_hash") expect(s.table?.length).toBe(251);
      else if (algorithm === "ring_hash") expect(s.table?.length).toBe(1026);
      else expect(s.table).toBeUndefined();
    }
  });
});
