/**
 * Weighted draws shared by the selectors, both built once per backend set and allocation-free:
 * Vose's alias method (O(1), one random number) for a plain draw, and a cumulative-weight binary
 * search (O(log N)) that can leave out up to three backends (a retry's earlier picks,
 * power-of-two's first candidate) while staying exactly proportional to the remaining weights.
 */
import { LbError } from "../errors.ts";
import type { BalanceBackend } from "./selector.ts";

/** The weights of a backend list, prepared for draws. */
export interface WeightTable {
  readonly n: number;
  readonly weights: Float64Array;
  /** cum[i] = weights[0] + ... + weights[i] */
  readonly cum: Float64Array;
  readonly total: number;
  /** how many backends have weight > 0 */
  readonly active: number;
  /** alias table: column i keeps i with probability prob[i], else gives alias[i] */
  readonly prob: Float64Array;
  readonly alias: Int32Array;
}

/** Checks a backend list (CONFIG_INVALID on a bad weight, an empty or duplicate key) and prepares its weights. */
export function weightTable(backends: readonly BalanceBackend[]): WeightTable {
  const n = backends.length;
  const weights = new Float64Array(n);
  const cum = new Float64Array(n);
  const seen = new Set<string>();
  let total = 0;
  let active = 0;
  for (let i = 0; i < n; i++) {
    const { key, weight } = backends[i]!;
    if (typeof key !== "string" || key.length === 0) throw new LbError("CONFIG_INVALID", `backend ${i} has no key`);
    if (seen.has(key)) throw new LbError("CONFIG_INVALID", `backend ${key} is listed twice`);
    seen.add(key);
    if (!Number.isFinite(weight) || weight < 0) {
      throw new LbError("CONFIG_INVALID", `backend ${key} has weight ${weight}; weights are finite and >= 0`);
    }
    weights[i] = weight;
    total += weight;
    cum[i] = total;
    if (weight > 0) active++;
  }
  const { prob, alias } = aliasTable(weights, total);
  return { n, weights, cum, total, active, prob, alias };
}

/** Vose's alias method ("A Linear Algorithm for Generating Random Numbers with a Given Distribution", 1991). */
function aliasTable(weights: Float64Array, total: number): { prob: Float64Array; alias: Int32Array } {
  const n = weights.length;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n).fill(-1);
  if (!(total > 0)) return { prob, alias };
  const scaled = Array.from(weights, (w) => (w * n) / total);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large[large.length - 1]!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    if (scaled[l]! < 1) small.push(large.pop()!);
  }
  // Leftovers are 1 up to rounding; a weight-0 leftover (rounding only) must never be kept.
  const heavy = weights.findIndex((w) => w > 0);
  for (const i of [...small, ...large]) {
    prob[i] = weights[i]! > 0 ? 1 : 0;
    alias[i] = weights[i]! > 0 ? i : heavy;
  }
  return { prob, alias };
}

/** A backend drawn with probability weight / total from `r` in [0, 1): O(1). -1 when every weight is 0. */
export function drawAlias(t: WeightTable, r: number): number {
  if (t.active === 0) return -1;
  const x = r * t.n;
  const i = x | 0;
  return x - i < t.prob[i]! ? i : t.alias[i]!;
}

/**
 * Index drawn with probability weight / (total of the non-excluded weights), from `r` in [0, 1).
 * `ex0..ex2` are indices to leave out (-1 = unused). Returns -1 when nothing with weight > 0 is left.
 */
export function pickWeighted(t: WeightTable, r: number, ex0: number, ex1: number, ex2: number): number {
  const w = t.weights;
  // Keep only distinct exclusions that own a range, then order them by position: shifting the
  // draw past each removed range in ascending order maps the shrunk line back onto the full one.
  if (ex0 >= 0 && !(w[ex0]! > 0)) ex0 = -1;
  if (ex1 >= 0 && (ex1 === ex0 || !(w[ex1]! > 0))) ex1 = -1;
  if (ex2 >= 0 && (ex2 === ex0 || ex2 === ex1 || !(w[ex2]! > 0))) ex2 = -1;
  let a = ex0, b = ex1, c = ex2, tmp = 0;
  if (a > b) { tmp = a; a = b; b = tmp; }
  if (b > c) { tmp = b; b = c; c = tmp; }
  if (a > b) { tmp = a; a = b; b = tmp; }
  let left = t.total;
  if (a >= 0) left -= w[a]!;
  if (b >= 0) left -= w[b]!;
  if (c >= 0) left -= w[c]!;
  if (!(left > 0)) return -1;
  const cum = t.cum;
  let x = r * left;
  if (a >= 0 && x >= cum[a]! - w[a]!) x += w[a]!;
  if (b >= 0 && x >= cum[b]! - w[b]!) x += w[b]!;
  if (c >= 0 && x >= cum[c]! - w[c]!) x += w[c]!;
  let lo = 0, hi = t.n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  // Rounding can land on a boundary: step to the next usable backend (wrapping), never an excluded one.
  for (let k = 0; k < t.n; k++) {
    const i = lo + k < t.n ? lo + k : lo + k - t.n;
    if (w[i]! > 0 && i !== a && i !== b && i !== c) return i;
  }
  return -1;
}
