/**
 * The conformance suite every selector runs (STYLE.md §7.2, after Hono's
 * src/router/common.case.test.ts): each algorithm's test file calls runSelectorContract with its
 * name and options. Cases apply by family (hashing, load-aware, the rest); a skip names its reason.
 * Expected values come from the weights and loads handed in, never from recorded picks.
 */
import { describe, expect, test } from "bun:test";
import {
  createSelector,
  HASHING_ALGORITHMS,
  LOAD_AWARE_ALGORITHMS,
  newPickContext,
  type Algorithm,
  type BalanceBackend,
  type PickContext,
  type PoolLbOptions,
  type Selector,
} from "../../src/balance/index.ts";
import { hashKey } from "../../src/balance/key-hash.ts";

export type ContractCase =
  | "empty"
  | "zero-weight"
  | "single"
  | "attempt"
  | "weights"
  | "same-key"
  | "keyless"
  | "removal"
  | "bounded"
  | "live-load";

export interface ContractOptions {
  name: string;
  algorithm: Algorithm;
  /** extra pool options (e.g. a bigger ring so weight shares are tight) */
  opts?: Omit<PoolLbOptions, "algorithm">;
  /** cases to skip, each with the reason */
  skip?: Partial<Record<ContractCase, string>>;
}

/** `n` backends named like addresses, with the given weights (default all 1). */
export function pool(n: number, weight: (i: number) => number = () => 1): BalanceBackend[] {
  return Array.from({ length: n }, (_, i) => ({ key: `10.0.${i >> 8}.${i & 255}:8080`, weight: weight(i) }));
}

/** Client-address-like keys, distinct for i < 2^24. */
export function clientKey(i: number): string {
  return `192.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** A fresh per-request context, shaped as the data plane should build it. */
export function ctxOf(key?: string, load?: ArrayLike<number>): PickContext {
  return newPickContext(key, load);
}

/**
 * Simulates a data plane holding `open` connections: each pick opens one on the chosen backend and
 * the oldest closes once more than `open` are held. Returns the pick counts.
 */
export function simulateHeld(s: Selector, n: number, picks: number, open: number, keyOf?: (i: number) => string | undefined, notify = false) {
  const load = new Int32Array(n);
  const held = new Int32Array(open + 1);
  const counts = new Array<number>(n).fill(0);
  let head = 0, size = 0;
  for (let k = 0; k < picks; k++) {
    const ctx = ctxOf(keyOf?.(k), load);
    const p = s.pick(ctx, 0);
    counts[p]++;
    load[p]++;
    if (notify) s.loadChanged?.(p, load);
    held[(head + size) % held.length] = p;
    size++;
    if (size > open) {
      const done = held[head]!;
      load[done]--;
      if (notify) s.loadChanged?.(done, load);
      head = (head + 1) % held.length;
      size--;
    }
  }
  return counts;
}

export function runSelectorContract(o: ContractOptions): void {
  const hashing = HASHING_ALGORITHMS.has(o.algorithm);
  const loadAware = LOAD_AWARE_ALGORITHMS.has(o.algorithm);
  const make = (backends: readonly BalanceBackend[], extra: Omit<PoolLbOptions, "algorithm"> = {}) =>
    createSelector(backends, { ...o.opts, ...extra, algorithm: o.algorithm });
  // A context as this family would see it: hashing selectors get a key, load-aware ones live counts.
  const ctxFor = (i: number, n: number) => ctxOf(hashing ? clientKey(i) : undefined, loadAware ? new Int32Array(n) : undefined);
  const it = (c: ContractCase, title: string, fn: () => void) => {
    const reason = o.skip?.[c];
    if (reason !== undefined) test.skip(`${title} (skipped: ${reason})`, fn);
    else test(title, fn);
  };

  describe(`${o.name}: selector contract`, () => {
    it("empty", "returns -1 for an empty pool, with or without a key, on any attempt", () => {
      const s = make([]);
      for (const ctx of [ctxOf(), ctxOf("1.2.3.4"), ctxOf(undefined, new Int32Array(0))]) {
        expect(s.pick(ctx, 0)).toBe(-1);
        expect(s.pick(ctx, 1)).toBe(-1);
      }
    });

    it("zero-weight", "never picks a backend of weight 0, and returns -1 when every weight is 0", () => {
      const backends = pool(6, (i) => (i % 2 === 0 ? 0 : i));
      const s = make(backends);
      for (let i = 0; i < 5000; i++) {
        const ctx = i % 3 === 0 ? ctxOf(undefined, loadAware ? new Int32Array(6) : undefined) : ctxFor(i, 6);
        for (let a = 0; a < 3; a++) {
          const p = s.pick(ctx, a);
          expect(p % 2).toBe(1);
        }
      }
      const none = make(pool(4, () => 0));
      expect(none.pick(ctxFor(1, 4), 0)).toBe(-1);
      expect(none.pick(ctxOf(), 1)).toBe(-1);
    });

    it("single", "always picks the only backend, on every attempt", () => {
      const s = make(pool(1, () => 3));
      for (let i = 0; i < 1000; i++) {
        const ctx = i % 2 === 0 ? ctxFor(i, 1) : ctxOf();
        for (let a = 0; a < 3; a++) expect(s.pick(ctx, a)).toBe(0);
      }
    });

    it("attempt", "a retry lands on a backend other than the earlier attempts whenever one exists", () => {
      for (const n of [2, 3, 10]) {
        const s = make(pool(n, (i) => 1 + (i % 3)));
        for (let i = 0; i < 2000; i++) {
          const ctx = ctxFor(i, n);
          if (ctx.load) for (let j = 0; j < n; j++) (ctx.load as Int32Array)[j] = (i * 7 + j * 13) % 5;
          const p0 = s.pick(ctx, 0);
          const p1 = s.pick(ctx, 1);
          const p2 = s.pick(ctx, 2);
          expect(p1).not.toBe(p0);
          expect(p2).not.toBe(p1);
          if (n > 2) expect(p2).not.toBe(p0);
          // other requests' picks in between must not lead a retry back to an earlier attempt
          const again = ctxFor(i, n);
          if (ctx.load) again.load = ctx.load;
          const q0 = s.pick(again, 0);
          for (let other = 1; other < n; other++) s.pick(ctxFor(i + other, n), 0);
          expect(s.pick(again, 1)).not.toBe(q0);
          if (hashing) {
            // deterministic too: a fresh context gives the same answer for the same attempt
            expect(s.pick(ctxFor(i, n), 1)).toBe(p1);
          }
        }
      }
    });

    it("weights", "honours weights within 1% over 100,000 picks", () => {
      const weights = [1, 2, 3, 4, 0];
      const backends = pool(5, (i) => weights[i]!);
      const s = make(backends);
      const picks = 100_000;
      let counts: number[];
      if (loadAware) {
        counts = simulateHeld(s, 5, picks, 50);
        if (s.loadChanged) {
          // the same with every load change reported (the indexed path)
          const notified = simulateHeld(make(backends), 5, picks, 50, undefined, true);
          for (let i = 0; i < 5; i++) expect(Math.abs(notified[i]! / picks - weights[i]! / 10)).toBeLessThanOrEqual(0.01);
        }
      }
      else {
        counts = [0, 0, 0, 0, 0];
        const seq = new Int32Array(picks);
        for (let k = 0; k < picks; k++) counts[(seq[k] = s.pick(ctxFor(k, 5), 0))]!++;
        if (o.algorithm === "weighted_round_robin" || o.algorithm === "round_robin") {
          // exact per cycle: every aligned window of one cycle holds each backend its weight's times
          const rr = o.algorithm === "round_robin";
          const cycle = rr ? 4 : 10;
          const start = rr ? 0 : 0;
          for (let w0 = start; w0 + cycle <= picks; w0 += cycle) {
            const c = [0, 0, 0, 0, 0];
            for (let k = w0; k < w0 + cycle; k++) c[seq[k]!]!++;
            expect(c).toEqual(rr ? [1, 1, 1, 1, 0] : weights);
          }
        }
      }
      const expected = o.algorithm === "round_robin" ? [0.25, 0.25, 0.25, 0.25, 0] : weights.map((w) => w / 10);
      for (let i = 0; i < 5; i++) expect(Math.abs(counts[i]! / picks - expected[i]!)).toBeLessThanOrEqual(0.01);
    });

    if (hashing) {
      it("same-key", "maps the same key to the same backend, whatever the build or backend order", () => {
        const backends = pool(20, (i) => 1 + (i % 4));
        const s = make(backends);
        const reversed = [...backends].reverse();
        const r = make(reversed);
        for (let i = 0; i < 2000; i++) {
          const key = clientKey(i * 7919);
          const p = s.pick(ctxOf(key), 0);
          expect(s.pick(ctxOf(key), 0)).toBe(p);
          expect(reversed[r.pick(ctxOf(key), 0)]!.key).toBe(backends[p]!.key);
          // a precomputed hash (L4's flow hash) is used as is
          expect(s.pick({ hash: hashKey(key) }, 0)).toBe(p);
        }
      });

      it("keyless", "picks at random by weight when the request has no key", () => {
        const s = make(pool(4, (i) => i + 1));
        const counts = [0, 0, 0, 0];
        for (let k = 0; k < 20_000; k++) counts[s.pick(ctxOf(), 0)]!++;
        for (let i = 0; i < 4; i++) expect(Math.abs(counts[i]! / 20_000 - (i + 1) / 10)).toBeLessThanOrEqual(0.02);
      });

      it("removal", "removing one of 100 backends moves its own keys and at most 2% of the others", () => {
        const backends = pool(100);
        const before = make(backends);
        const gone = 37;
        const rest = backends.filter((_, i) => i !== gone);
        const after = make(rest);
        const keys = 100_000;
        let owned = 0, moved = 0;
        for (let k = 0; k < keys; k++) {
          const key = clientKey(k);
          const was = backends[before.pick(ctxOf(key), 0)]!.key;
          const now = rest[after.pick(ctxOf(key), 0)]!.key;
          if (was === backends[gone]!.key) owned++;
          else if (was !== now) moved++;
        }
        expect(owned).toBeGreaterThan(keys / 100 / 2);
        expect(owned).toBeLessThan((keys / 100) * 2);
        expect(moved).toBeLessThanOrEqual(0.02 * keys);
      });

      it("bounded", "with a balance factor no backend takes more than its bounded share, and a light pool keeps the plain mapping", () => {
        const factor = 1.25;
        const weights = [1, 1, 2, 1, 3, 1, 1, 2, 1, 1];
        const W = weights.reduce((a, b) => a + b, 0);
        const backends = pool(10, (i) => weights[i]!);
        const plain = make(backends);
        const s = make(backends, { hashBalanceFactor: factor });
        for (let k = 0; k < 2000; k++) {
          const key = clientKey(k);
          expect(s.pick(ctxOf(key, new Int32Array(10)), 0)).toBe(plain.pick(ctxOf(key), 0));
        }
        // 80% of requests carry one hot key; 300 connections held open.
        const load = new Int32Array(10);
        const held: number[] = [];
        const hotTo = new Set<number>();
        for (let k = 0; k < 30_000; k++) {
          const hot = k % 5 !== 0;
          let total = 0;
          for (const l of load) total += l;
          const ctx = ctxOf(hot ? "hot-client" : clientKey(k), load);
          if (k % 2 === 0) ctx.loadTotal = total;
          const p = s.pick(ctx, 0);
          const cap = Math.max(1, Math.ceil((factor * (total + 1) * weights[p]!) / W));
          expect(load[p]! + 1).toBeLessThanOrEqual(cap);
          if (hot) hotTo.add(p);
          if (k % 10 === 0) expect(s.pick(ctx, 1)).not.toBe(p);
          load[p]++;
          held.push(p);
          if (held.length > 300) load[held.shift()!]--;
        }
        expect(hotTo.size).toBeGreaterThan(5);
      });
    }

    if (loadAware) {
      it("live-load", "follows the live counts it is given", () => {
        const n = 10;
        const weights = [1, 2, 1, 3, 1, 1, 2, 1, 1, 4];
        const s = make(pool(n, (i) => weights[i]!));
        const load = new Int32Array(n);
        let seed = 12345;
        const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % 40;
        for (let trial = 0; trial < 2000; trial++) {
          for (let j = 0; j < n; j++) load[j] = rnd();
          const ratios = weights.map((w, j) => load[j]! / w);
          const min = Math.min(...ratios);
          const max = Math.max(...ratios);
          const p = s.pick(ctxOf(undefined, load), 0);
          if (o.algorithm === "least_connections") expect(ratios[p]).toBe(min);
          // power of two: the strictly most loaded can never win a comparison
          else if (ratios.filter((r) => r === max).length === 1) expect(ratios[p]).toBeLessThan(max);
        }
        // with two backends both are always the candidates: the lighter per weight wins every time
        const two = make(pool(2, (i) => i + 1));
        const l2 = new Int32Array([3, 5]);
        for (let k = 0; k < 500; k++) expect(two.pick(ctxOf(undefined, l2), 0)).toBe(1);
        l2[1] = 7;
        for (let k = 0; k < 500; k++) expect(two.pick(ctxOf(undefined, l2), 0)).toBe(0);
      });
    }
  });
}
