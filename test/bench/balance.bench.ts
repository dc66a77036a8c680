/**
 * Selector picks (issue 4): one pick, key hashing included, at N=10 and N=1000 backends per
 * algorithm, against ≤ 200 ns (≤ 50 ns for round robin and smooth WRR), plus the bytes the heap
 * grew per pick over 100,000 picks (target 0; an allocating control shows the probe sees
 * allocations). Each case gets its own compiled loop so its call site stays monomorphic, as a
 * pool's call site is in the data plane. Medians of 9 runs of up to 1e6 picks (about 50 ms each);
 * 2 shared cores: noisy.
 */
import { heapStats } from "bun:jsc";
import { createSelector, hashKey, type Algorithm, type PickContext, type PoolLbOptions, type Selector } from "../../src/balance/index.ts";
import { nsPerOp, type Report } from "./harness.ts";

const KEYS = Array.from({ length: 4096 }, (_, i) => `198.${(i * 7) & 255}.${i >> 8}.${i & 255}`);
for (const k of KEYS) hashKey(k); // flatten the template strings once, as a parsed header value is flat

type Loop = (n: number) => void;

/** A fresh function per case: its own inline caches, so one algorithm's pick does not make another's site polymorphic. */
function compileLoop(s: Selector, ctx: PickContext, out: { v: number }): Loop {
  const make = new Function(
    "s",
    "ctx",
    "keys",
    "out",
    `return function loop(n) {
       let sink = 0;
       for (let i = 0; i < n; i++) { ctx.key = keys[i & 4095]; sink ^= s.pick(ctx, 0); }
       out.v ^= sink;
     };`,
  ) as (s: Selector, ctx: PickContext, keys: string[], out: { v: number }) => Loop;
  return make(s, ctx, KEYS, out);
}

/**
 * least_connections with load changes reported (its O(log N) index): each step is a pick, the
 * pick's connection opening, and some other connection closing: one pick and two updates.
 */
function compileIndexedLoop(s: Selector, ctx: PickContext, load: Int32Array, out: { v: number }): Loop {
  const make = new Function(
    "s",
    "ctx",
    "load",
    "out",
    `return function loop(n) {
       let sink = 0;
       const m = load.length;
       for (let i = 0; i < n; i++) {
         const p = s.pick(ctx, 0);
         load[p]++; s.loadChanged(p, load);
         const j = (i * 7919) % m;
         if (load[j] > 0) { load[j]--; s.loadChanged(j, load); }
         sink ^= p;
       }
       out.v ^= sink;
     };`,
  ) as (s: Selector, ctx: PickContext, load: Int32Array, out: { v: number }) => Loop;
  return make(s, ctx, load, out);
}

/** Picks per timed run: about 50 ms of work, between 1e4 and 1e6 (an O(N) pick at N=1000 is slow). */
function picksFor(loop: Loop): number {
  loop(10_000);
  const t0 = Bun.nanoseconds();
  loop(10_000);
  const per = (Bun.nanoseconds() - t0) / 10_000;
  return Math.max(10_000, Math.min(PICKS, Math.round(50e6 / per)));
}

/** Heap bytes gained over `n` calls, after a full GC; heapStats itself costs a few KB (the floor). */
function heapGrowth(loop: Loop, n: number): number {
  loop(n);
  Bun.gc(true);
  const before = heapStats().heapCapacity;
  loop(n);
  return heapStats().heapCapacity - before;
}

interface Case {
  label: string;
  algorithm: Algorithm;
  opts?: Omit<PoolLbOptions, "algorithm">;
}

const CASES: Case[] = [
  { label: "round_robin", algorithm: "round_robin" },
  { label: "weighted_round_robin", algorithm: "weighted_round_robin" },
  { label: "random", algorithm: "random" },
  { label: "least_connections", algorithm: "least_connections" },
  { label: "power_of_two", algorithm: "power_of_two" },
  { label: "maglev", algorithm: "maglev" },
  { label: "ring_hash", algorithm: "ring_hash" },
  { label: "source_ip_hash", algorithm: "source_ip_hash" },
  { label: "maglev+bounded 1.25", algorithm: "maglev", opts: { hashBalanceFactor: 1.25 } },
  { label: "ring_hash+bounded 1.25", algorithm: "ring_hash", opts: { hashBalanceFactor: 1.25 } },
];

const PICKS = 1_000_000;
const ALLOC_PICKS = 100_000;

export function run(report: Report): void {
  const out = { v: 0 };
  // the probe's floor and an allocating control (one small object per call)
  const idle = heapGrowth(() => {}, ALLOC_PICKS);
  const boxes: unknown[] = [undefined];
  const control = heapGrowth((n) => {
    for (let i = 0; i < n; i++) boxes[0] = { i };
  }, ALLOC_PICKS);
  report({ name: "alloc probe floor (no work)", value: idle / ALLOC_PICKS, unit: "B/call" });
  report({ name: "alloc probe control ({i} per call)", value: control / ALLOC_PICKS, unit: "B/call" });
  const hashOnly = new Function("keys", "out", "h", "return function(n){let x=0;for(let i=0;i<n;i++)x^=h(keys[i&4095]);out.v^=x;}")(
    KEYS,
    out,
    hashKey,
  ) as Loop;
  report({ name: "hashKey (IPv4 text, murmur3)", value: nsPerOp(hashOnly, PICKS), unit: "ns" });

  for (const n of [10, 1000]) {
    const backends = Array.from({ length: n }, (_, i) => ({ key: `10.1.${i >> 8}.${i & 255}:8080`, weight: 1 + (i % 4) }));
    const load = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += load[i] = (i * 7) % 13;
    for (const c of CASES) {
      const t0 = Bun.nanoseconds();
      const s = createSelector(backends, { ...c.opts, algorithm: c.algorithm });
      const buildMs = (Bun.nanoseconds() - t0) / 1e6;
      const ctx: PickContext = { key: undefined, hash: undefined, load, loadTotal: total, first: -1, last: -1 };
      const loop = compileLoop(s, ctx, out);
      const fast = c.algorithm === "round_robin" || c.algorithm === "weighted_round_robin";
      report({ name: `pick ${c.label} N=${n}`, value: nsPerOp(loop, picksFor(loop)), unit: "ns", target: fast ? "<= 50 ns" : "<= 200 ns" });
      report({ name: `alloc ${c.label} N=${n}`, value: heapGrowth(loop, ALLOC_PICKS) / ALLOC_PICKS, unit: "B/pick", target: "0" });
      report({ name: `build ${c.label} N=${n}`, value: buildMs, unit: "ms" });
    }
    const lc = createSelector(backends, { algorithm: "least_connections" });
    const live = Int32Array.from(load);
    lc.loadChanged!(0, live);
    const indexed = compileIndexedLoop(lc, { key: undefined, hash: undefined, load: live, loadTotal: undefined, first: -1, last: -1 }, live, out);
    const pickOnly = compileLoop(lc, { key: undefined, hash: undefined, load: live, loadTotal: undefined, first: -1, last: -1 }, out);
    report({ name: `pick least_connections indexed N=${n}`, value: nsPerOp(pickOnly, picksFor(pickOnly)), unit: "ns", target: "<= 200 ns" });
    const label = `least_connections indexed (pick + 2 updates) N=${n}`;
    report({ name: `pick ${label}`, value: nsPerOp(indexed, picksFor(indexed)), unit: "ns", target: "<= 200 ns" });
    report({ name: `alloc ${label}`, value: heapGrowth(indexed, ALLOC_PICKS) / ALLOC_PICKS, unit: "B/pick", target: "0" });
  }
  if (out.v === 0.5) console.log(out.v); // keeps the results observable
}
