/**
 * Plain-TypeScript Maglev population, written from Envoy's OriginalMaglevTable (maglev_lb.cc) and
 * the Maglev paper's Pseudocode 1 with no optimisation: the oracle for assembly/maglev.ts. Backends
 * in UTF-8 byte order of their keys, offset = xxh64(key, 0) mod M, skip = xxh64(key, 1) mod (M−1)
 * + 1, permutation(j) = (offset + skip × j) mod M, and Envoy's weighted turns in Envoy's doubles
 * (JS numbers are the same IEEE doubles): w = weight / Σweight as normalizeHostWeights computes it,
 * a backend skips iteration i when i × w < target, and target += max w after each turn. Weight-0
 * backends take no part (Envoy has no weight 0).
 */
import { xxh64Oracle } from "./xxh64.ts";

function byteOrder(keys: readonly string[]): number[] {
  const enc = new TextEncoder();
  const bytes = keys.map((k) => enc.encode(k));
  return keys
    .map((_, i) => i)
    .sort((a, b) => {
      const x = bytes[a]!;
      const y = bytes[b]!;
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    });
}

/**
 * The population loop on explicit permutations: backend i (in fill order) has offsets[i], skips[i],
 * weights[i] and writes ids[i] into its slots. Every slot is -1 when no weight is positive.
 */
export function maglevPopulateOracle(
  offsets: readonly number[],
  skips: readonly number[],
  weights: readonly number[],
  size: number,
  ids: readonly number[] = offsets.map((_, i) => i),
): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const n = offsets.length;
  // Envoy sums the integer weights in a uint64_t, then divides each weight by that sum as a double.
  const sum = weights.reduce((a, w) => a + w, 0);
  if (sum === 0) return table;
  const norm = weights.map((w) => w / sum);
  const maxNorm = Math.max(...norm);
  const next = new Array<number>(n).fill(0);
  const target = new Array<number>(n).fill(0);
  let filled = 0;
  for (let iteration = 1; filled < size; iteration++) {
    for (let i = 0; i < n && filled < size; i++) {
      if (weights[i] === 0 || iteration * norm[i]! < target[i]!) continue;
      target[i] = target[i]! + maxNorm;
      let c = (offsets[i]! + skips[i]! * next[i]!) % size;
      while (table[c] !== -1) {
        next[i] = next[i]! + 1;
        c = (offsets[i]! + skips[i]! * next[i]!) % size;
      }
      table[c] = ids[i]!;
      next[i] = next[i]! + 1;
      filled++;
    }
  }
  return table;
}

/** Maglev table for `keys` with `weights`: table[slot] is an index into `keys` as given, or -1. */
export function maglevOracle(keys: readonly string[], weights: readonly number[], size: number): Int32Array {
  const order = byteOrder(keys);
  const m = BigInt(size);
  const offsets = order.map((i) => Number(xxh64Oracle(keys[i]!, 0n) % m));
  const skips = order.map((i) => Number(xxh64Oracle(keys[i]!, 1n) % (m - 1n)) + 1);
  return maglevPopulateOracle(offsets, skips, order.map((i) => weights[i]!), size, order);
}
