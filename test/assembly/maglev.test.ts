import { describe, expect, test } from "bun:test";
import { isLbError, LbError } from "../../src/errors.ts";
import {
  isPrime,
  MAGLEV_DEFAULT_SIZE,
  MAGLEV_MAX_SIZE,
  maglevSlotCounts,
  maglevTable,
  maglevTableFrom,
} from "../../src/wasm/index.ts";
import { maglevOracle, maglevPopulateOracle } from "../oracles/maglev.ts";
import { mulberry32 as rng } from "../helpers/rng.ts";


const envoyKeys = ["90", "91", "92", "93", "94", "95"];
const addrs = (n: number, base = 0) => Array.from({ length: n }, (_, i) => `10.${(base + i) >> 8}.${(base + i) & 255}.7:8080`);
const ones = (n: number) => new Array<number>(n).fill(1);

function thrownBy(fn: () => unknown): LbError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LbError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("maglevTable golden vectors", () => {
  test("reproduces Envoy's published tables", () => {
    expect([...maglevTable(envoyKeys.map((p) => `127.0.0.1:${p}`), ones(6), 7)]).toEqual([2, 4, 0, 1, 5, 0, 3]);
    expect([...maglevTable(envoyKeys, ones(6), 7)]).toEqual([2, 5, 0, 3, 4, 1, 0]);
    expect([...maglevTable(["127.0.0.1:90", "127.0.0.1:91"], [1, 2], 17)]).toEqual([
      1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1,
    ]);
    expect(maglevSlotCounts(maglevTable(["127.0.0.1:90", "127.0.0.1:91"], [1, 2]), 2)).toEqual([21846, 43691]);
  });

  test("reproduces the Maglev paper's Table 1 from its offsets and skips", () => {
    // B0: offset 3, skip 4; B1: offset 0, skip 2; B2: offset 3, skip 1 → B1 B0 B1 B0 B2 B2 B0.
    expect([...maglevTableFrom([3, 0, 3], [4, 2, 1], 7)]).toEqual([1, 0, 1, 0, 2, 2, 0]);
    // After B1 is removed (the table's second column): B0 B0 B0 B0 B2 B2 B2.
    expect([...maglevTableFrom([3, 0, 3], [4, 2, 1], 7, [1, 0, 1])]).toEqual([0, 0, 0, 0, 2, 2, 2]);
    expect([...maglevPopulateOracle([3, 0, 3], [4, 2, 1], [1, 1, 1], 7)]).toEqual([1, 0, 1, 0, 2, 2, 0]);
  });
});

describe("maglevTable against the TypeScript oracle", () => {
  const primes = [2, 3, 7, 13, 31, 101, 251, 509, 1009, 4099];

  test("agrees on 1,500 random pools at small prime sizes (weights, zero weights, unicode keys)", () => {
    const next = rng(7);
    const alphabet = ["a", "b", "Z", "0", ".", ":", "é", "€", "\uE000", "\uFFFD", "𝄞", "😀"];
    for (let c = 0; c < 1500; c++) {
      const n = Math.floor(next() * 24);
      const keySet = new Set<string>();
      while (keySet.size < n) {
        const len = 1 + Math.floor(next() * 6);
        let k = "";
        for (let i = 0; i < len; i++) k += alphabet[Math.floor(next() * alphabet.length)];
        keySet.add(c % 2 ? k : `${k}:${Math.floor(next() * 1000)}`);
      }
      const keys = [...keySet];
      // Equal, small, spread and near-u32-max weights; and one heavy backend among light ones,
      // which takes the kernel's heap path instead of its per-iteration scan.
      const mode = c % 5;
      const weights = keys.map((_, i) =>
        mode === 0
          ? 1
          : mode === 1
            ? Math.floor(next() * 4)
            : mode === 2
              ? 1 + Math.floor(next() * 1000)
              : mode === 3
                ? 2 ** 32 - 1 - Math.floor(next() * 3)
                : i === 0 ? 5000 : 1 + Math.floor(next() * 3),
      );
      const m = primes[Math.floor(next() * primes.length)]!;
      expect([...maglevTable(keys, weights, m)]).toEqual([...maglevOracle(keys, weights, m)]);
    }
  });

  test("agrees at the default size and at 655373", () => {
    const next = rng(8);
    const spread = (i: number) => 1 + (i % 5);
    const oneHeavy = (i: number) => (i === 3 ? 10_000 : 1 + (i % 2));
    for (const [n, m, weight] of [
      [1, 65537, () => 1],
      [3, 65537, () => 1],
      [97, 65537, () => 1],
      [1000, 65537, () => 1],
      [100, 65537, spread],
      [100, 65537, oneHeavy],
      [50, 655373, () => 1],
    ] as const) {
      const keys = addrs(n, Math.floor(next() * 1000));
      const weights = keys.map((_, i) => weight(i));
      expect([...maglevTable(keys, weights, m)]).toEqual([...maglevOracle(keys, weights, m)]);
    }
  });

  test("the population loop agrees on 1,000 random offset/skip sets", () => {
    const next = rng(9);
    for (let c = 0; c < 1000; c++) {
      const m = primes[Math.floor(next() * primes.length)]!;
      const n = Math.floor(next() * 12);
      const offsets = Array.from({ length: n }, () => Math.floor(next() * m));
      const skips = Array.from({ length: n }, () => 1 + Math.floor(next() * (m - 1)));
      const weights = Array.from({ length: n }, () => Math.floor(next() * 5));
      expect([...maglevTableFrom(offsets, skips, m, weights)]).toEqual([...maglevPopulateOracle(offsets, skips, weights, m)]);
    }
  });
});

/** Turns each backend takes in Envoy's weighted order (its doubles: w / Σw, target += max) until `m` turns. */
function turnCounts(weights: readonly number[], m: number): number[] {
  const sum = weights.reduce((a, w) => a + w, 0);
  const norm = weights.map((w) => w / sum);
  const max = Math.max(...norm);
  const target = weights.map(() => 0);
  const counts = weights.map(() => 0);
  let turns = 0;
  for (let i = 1; turns < m; i++) {
    for (let b = 0; b < weights.length && turns < m; b++) {
      if (weights[b] === 0 || i * norm[b]! < target[b]!) continue;
      target[b]! += max;
      counts[b]!++;
      turns++;
    }
  }
  return counts;
}

describe("maglevTable properties", () => {
  test("equal weights give every backend floor(M/N) or ceil(M/N) slots", () => {
    for (const [n, m] of [[1, 7], [3, 7], [7, 7], [10, 101], [100, 65537], [1000, 65537], [7, 655373]] as const) {
      const counts = maglevSlotCounts(maglevTable(addrs(n), ones(n), m), n);
      for (const c of counts) expect([Math.floor(m / n), Math.ceil(m / n)]).toContain(c);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(m);
    }
  });

  test("weighted counts are exactly the turns Envoy's scheme gives each backend", () => {
    const next = rng(10);
    for (let c = 0; c < 30; c++) {
      const n = 1 + Math.floor(next() * 40);
      const weights = Array.from({ length: n }, () => Math.floor(next() * 10));
      const keys = addrs(n, c * 50);
      const m = [101, 1009, 65537][c % 3]!;
      // The table fills backends in key order, so count turns in that order.
      const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
      const want = turnCounts(order.map((i) => weights[i]!), m);
      const got = maglevSlotCounts(maglevTable(keys, weights, m), n);
      if (weights.every((w) => w === 0)) continue;
      order.forEach((idx, pos) => expect(got[idx]).toBe(want[pos]!));
    }
  });

  test("removing 1 of 100 backends changes at most 1.8% of the slots", () => {
    const keys = addrs(100);
    const before = maglevTable(keys, ones(100));
    for (const gone of [0, 17, 42, 63, 99]) {
      const rest = keys.filter((_, i) => i !== gone);
      const after = maglevTable(rest, ones(99));
      let changed = 0;
      for (let s = 0; s < before.length; s++) if (keys[before[s]!] !== rest[after[s]!]) changed++;
      expect(changed / before.length).toBeLessThanOrEqual(0.018);
    }
  });

  test("adding a 101st backend moves at most 0.8% of the slots between the old ones", () => {
    const keys = addrs(100);
    const before = maglevTable(keys, ones(100));
    for (const base of [100, 500, 4000]) {
      const grown = [...keys, addrs(1, base)[0]!];
      const after = maglevTable(grown, ones(101));
      let moved = 0;
      for (let s = 0; s < before.length; s++) if (after[s] !== 100 && after[s] !== before[s]) moved++;
      expect(moved / before.length).toBeLessThanOrEqual(0.008);
    }
  });

  test("input order does not change which key owns each slot", () => {
    const next = rng(11);
    const keys = addrs(50);
    const weights = keys.map((_, i) => 1 + (i % 3));
    const table = maglevTable(keys, weights, 4099);
    for (let r = 0; r < 5; r++) {
      const perm = keys.map((_, i) => i).sort(() => next() - 0.5);
      const shuffled = maglevTable(perm.map((i) => keys[i]!), perm.map((i) => weights[i]!), 4099);
      for (let s = 0; s < table.length; s++) expect(keys[perm[shuffled[s]!]!]).toBe(keys[table[s]!]!);
    }
  });

  test("a weight-0 backend gets no slots and leaves the others' table as it was without it", () => {
    const keys = addrs(20);
    const weights = keys.map((_, i) => (i === 5 ? 0 : 1 + (i % 4)));
    const table = maglevTable(keys, weights, 1009);
    expect(table.includes(5)).toBe(false);
    const without = maglevTable(keys.filter((_, i) => i !== 5), weights.filter((_, i) => i !== 5), 1009);
    for (let s = 0; s < table.length; s++) expect(keys[table[s]!]).toBe(keys.filter((_, i) => i !== 5)[without[s]!]!);
  });

  test("no backend, or no positive weight, gives a table that selects nothing", () => {
    const empty = maglevTable([], []);
    expect(empty.length).toBe(MAGLEV_DEFAULT_SIZE);
    expect(empty.every((v) => v === -1)).toBe(true);
    expect(maglevTable(["a", "b"], [0, 0], 7).every((v) => v === -1)).toBe(true);
  });

  test("returns a fresh copy the caller may keep and change", () => {
    const a = maglevTable(addrs(3), ones(3), 101);
    const copy = [...a];
    a.fill(9);
    maglevTable(addrs(5), ones(5), 101);
    expect([...maglevTable(addrs(3), ones(3), 101)]).toEqual(copy);
  });

  test("grows its regions for the largest size and still agrees with smaller builds after", () => {
    const big = maglevTable(["10.0.0.1:80", "10.0.0.2:80"], [1, 3], MAGLEV_MAX_SIZE);
    expect(big.length).toBe(MAGLEV_MAX_SIZE);
    expect(maglevSlotCounts(big, 2)).toEqual([1250003, 3750008]);
    expect([...maglevTable(envoyKeys, ones(6), 7)]).toEqual([2, 5, 0, 3, 4, 1, 0]);
  });
});

describe("maglevTable input checks", () => {
  test("rejects sizes that are not primes up to 5,000,011 with MAGLEV_TABLE_SIZE (400)", () => {
    for (const size of [0, 1, 4, 9, 65536, 65535, 7.5, -7, Number.NaN, 5_000_077, 2 ** 31 - 1]) {
      const e = thrownBy(() => maglevTable(["a"], [1], size));
      expect(e.code).toBe("MAGLEV_TABLE_SIZE");
      expect(e.status).toBe(400);
    }
    expect(isPrime(MAGLEV_MAX_SIZE)).toBe(true);
    expect(isPrime(MAGLEV_DEFAULT_SIZE)).toBe(true);
    expect(() => maglevTableFrom([0], [1], 8)).toThrow();
  });

  test("rejects bad weights, mismatched lengths, duplicate keys and bad permutations", () => {
    for (const weights of [[-1], [1.5], [Number.NaN], [2 ** 32], []]) {
      expect(isLbError(thrownBy(() => maglevTable(["a"], weights, 7)), "INVALID_ARGUMENT")).toBe(true);
    }
    expect(isLbError(thrownBy(() => maglevTable(["a", "a"], [1, 1], 7)), "INVALID_ARGUMENT")).toBe(true);
    for (const [offsets, skips] of [[[7], [1]], [[0], [0]], [[0], [7]], [[0, 1], [1]]]) {
      expect(isLbError(thrownBy(() => maglevTableFrom(offsets!, skips!, 7)), "INVALID_ARGUMENT")).toBe(true);
    }
  });
});
