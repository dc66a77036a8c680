/**
 * Weighted Maglev tables against Envoy's arithmetic: the kernel's scan and heap loops both give
 * the table of the TypeScript oracle, which is Envoy's OriginalMaglevTable loop in doubles. The
 * exact-integer scheme Fulcrum used before breaks ties the other way wherever the doubles round;
 * the last test shows the random pools here include such cases, so this file tells them apart.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { isPrime, maglevTable, maglevTableFrom, setMaglevFillLoop } from "../../src/wasm/index.ts";
import { maglevOracle, maglevPopulateOracle } from "../oracles/maglev.ts";
import { mulberry32 as rng } from "../helpers/rng.ts";

const PRIMES = Array.from({ length: 3000 }, (_, i) => i).filter(isPrime);
const LOOPS = ["auto", "scan", "heap"] as const;

const addrs = (n: number, base: number) =>
  Array.from({ length: n }, (_, i) => `10.${((base + i) >> 8) & 255}.${(base + i) & 255}.${1 + (base % 200)}:${8000 + i}`);

/** Weights that make ties likely (small integers, multiples, one heavy) and ones that do not. */
function randomWeights(next: () => number, n: number, mode: number): number[] {
  const pick = (k: number) => Math.floor(next() * k);
  switch (mode % 7) {
    case 0: return Array.from({ length: n }, () => 1 + pick(4));
    case 1: return Array.from({ length: n }, () => pick(11));
    case 2: return Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 6 : i % 3 === 1 ? 3 : 2));
    case 3: return Array.from({ length: n }, (_, i) => (i === 0 ? 100 + pick(10_000) : 1 + pick(3)));
    case 4: return Array.from({ length: n }, () => [1, 10, 100, 1000][pick(4)]!);
    case 5: return Array.from({ length: n }, () => 2 ** 32 - 1 - pick(5));
    default: return Array.from({ length: n }, () => 1 + pick(2 ** 20));
  }
}

/**
 * The order in which backends take their turns (backend index per turn, m turns), in Envoy's
 * doubles or in the exact-integer scheme Fulcrum used before (turn when i × weight ≥ turns × max).
 */
function turnOrder(weights: readonly number[], m: number, exact: boolean): number[] {
  const sum = weights.reduce((a, w) => a + w, 0);
  const norm = weights.map((w) => w / sum);
  const maxNorm = Math.max(...norm);
  const max = BigInt(Math.max(...weights));
  const target = weights.map(() => 0);
  const turns = weights.map(() => 0n);
  const order: number[] = [];
  for (let i = 1; order.length < m; i++) {
    for (let b = 0; b < weights.length && order.length < m; b++) {
      if (weights[b] === 0) continue;
      if (exact ? BigInt(i) * BigInt(weights[b]!) < turns[b]! * max : i * norm[b]! < target[b]!) continue;
      target[b]! += maxNorm;
      turns[b]!++;
      order.push(b);
    }
  }
  return order;
}

afterEach(() => setMaglevFillLoop("auto"));

describe("Maglev weights in Envoy's double arithmetic", () => {
  test("reproduces Envoy's locality-weighted tables (weights it normalizes to 0.5/0.5 and 0.8/0.2)", () => {
    const keys = ["127.0.0.1:90", "127.0.0.1:91"];
    // maglev_lb_test.cc LocalityWeightedSameLocalityWeights and ...DifferentLocalityWeights.
    expect([...maglevTable(keys, [1, 1], 17)]).toEqual([1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
    expect([...maglevTable(keys, [4, 1], 17)]).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    for (const loop of LOOPS) {
      setMaglevFillLoop(loop);
      expect([...maglevTable(keys, [1, 2], 17)]).toEqual([1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1]);
    }
  });

  test("scan, heap and the automatic choice all match the oracle on 3,000 random weighted pools", () => {
    // Permutations drawn directly (as the paper's Table 1 gives them) keep 3,000 pools quick; the
    // keyed pools below add Envoy's hashing and key order.
    const next = rng(1101);
    const small = PRIMES.filter((p) => p < 1000);
    for (let c = 0; c < 3000; c++) {
      const n = 1 + Math.floor(next() * 40);
      const m = small[Math.floor(next() * small.length)]!;
      const offsets = Array.from({ length: n }, () => Math.floor(next() * m));
      const skips = Array.from({ length: n }, () => 1 + Math.floor(next() * (m - 1)));
      const weights = randomWeights(next, n, c);
      const want = maglevPopulateOracle(offsets, skips, weights, m).join();
      for (const loop of LOOPS) {
        setMaglevFillLoop(loop);
        const got = maglevTableFrom(offsets, skips, m, weights).join();
        if (got !== want) expect({ c, loop, n, m, weights, got }).toEqual({ c, loop, n, m, weights, got: want });
      }
    }
  });

  test("scan, heap and the automatic choice all match the oracle on 300 random keyed pools", () => {
    const next = rng(1104);
    for (let c = 0; c < 300; c++) {
      const n = 1 + Math.floor(next() * 40);
      const m = PRIMES[Math.floor(next() * PRIMES.length)]!;
      const keys = addrs(n, Math.floor(next() * 60_000));
      const weights = randomWeights(next, n, c);
      const want = maglevOracle(keys, weights, m).join();
      for (const loop of LOOPS) {
        setMaglevFillLoop(loop);
        const got = maglevTable(keys, weights, m).join();
        if (got !== want) expect({ c, loop, n, m, weights, got }).toEqual({ c, loop, n, m, weights, got: want });
      }
    }
  });

  test("matches the oracle at the default size", () => {
    const next = rng(1102);
    for (const [n, m, mode] of [[20, 65537, 0], [200, 65537, 3], [97, 65537, 2], [50, 65537, 6]] as const) {
      const keys = addrs(n, Math.floor(next() * 60_000));
      const weights = randomWeights(next, n, mode);
      const want = [...maglevOracle(keys, weights, m)];
      for (const loop of LOOPS) {
        setMaglevFillLoop(loop);
        expect([...maglevTable(keys, weights, m)]).toEqual(want);
      }
    }
  });

  test("differs from the exact-integer scheme on some pools like the issue's (M=251, 20 backends)", () => {
    const next = rng(1103);
    let differing = 0;
    for (let c = 0; c < 200; c++) {
      const keys = addrs(20, c * 40);
      const weights = randomWeights(next, 20, c % 3);
      expect([...maglevTable(keys, weights, 251)]).toEqual([...maglevOracle(keys, weights, 251)]);
      if (turnOrder(weights, 251, false).join() !== turnOrder(weights, 251, true).join()) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });
});
