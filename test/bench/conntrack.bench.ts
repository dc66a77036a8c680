/**
 * Conntrack at 1,000,000 live UDP flows (1,048,000 slots, 64 MiB: the table's fixed capacity for
 * them), release build, from JS: lookups through the zero-copy path (tuple words written into the
 * key scratch, one call per flow) and in batches of 256 (whose memory misses overlap), beside the
 * TS oracle doing the same on a Uint32Array of the same layout; insert rate; sweep and
 * per-backend scan cost; inserts past capacity (they evict, never fail). A single lookup waits for
 * at least one DRAM miss, so its target is stated against the machine (issue 17): at most 1.1x one
 * dependent random read in a 64 MiB array measured in the same run (memory-latency.ts); the batch
 * path at most 120 ns a lookup. Medians of several runs; the 2-core machine is shared, so figures
 * are noisy.
 *
 * Like with like: the yardstick's array is paged as the table is (2 MiB pages where offered), and
 * the single lookups it is compared with form a dependency chain as its reads do (each tuple
 * depends on the previous lookup's result), so both figures are latencies. The independent-call
 * loop (a burst of datagrams, one call each) is reported beside it.
 */
import { instantiateCore } from "../../src/wasm/core.ts";
import { CONNTRACK_BATCH, ConnTrack } from "../../src/wasm/conntrack.ts";
import { PROTO_TCP, PROTO_UDP } from "../../src/wasm/tuple.ts";
import { ConntrackOracle } from "../oracles/conntrack.ts";
import { medianMs, nsPerOp, type Report } from "./harness.ts";
import { chaseNs, dependentReadJsArrayNs, dependentReadNs, makeChain, tableLikeRegion } from "./memory-latency.ts";
import { reportPatterns } from "./conntrack-patterns.ts";
import { reportComponents } from "./conntrack-components.ts";

const FLOWS = 1_000_000;
const CAPACITY = 1_048_000;
const SEED = 0x5eed;

/** Random IPv4-mapped client tuples towards one VIP (`proto`, port 443), `count` of them. */
function makeKeys(count: number, proto = PROTO_TCP): Uint32Array {
  const keys = new Uint32Array(count * 10);
  let s = 0x9e3779b9;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
  for (let i = 0; i < count; i++) {
    const w = i * 10;
    keys[w + 2] = 0xffff0000;
    keys[w + 3] = next();
    keys[w + 6] = 0xffff0000;
    keys[w + 7] = 0x0a00020c;
    keys[w + 8] = (next() & 0xffff) | (443 << 16);
    keys[w + 9] = proto;
  }
  return keys;
}

/** Single lookups against a table small enough to stay in cache: the cost without the DRAM miss. */
function inCache(report: Report): void {
  const flows = 8000;
  const inst = instantiateCore("release");
  const ct = new ConnTrack(8192, { core: inst, seed: SEED });
  const oracle = new ConntrackOracle(8192, SEED);
  const keys = makeKeys(flows);
  const words = new Uint32Array(inst.memory.buffer);
  const at = ct.keyOffset >>> 2;
  for (let i = 0; i < flows; i++) {
    words.set(keys.subarray(i * 10, i * 10 + 10), at);
    ct.insertKey(i & 1023, 1);
    oracle.insert(keys, i * 10, i & 1023, 1, 0);
  }
  let sink = 0;
  const wasm = (n: number) => {
    for (let j = 0, i = 0; j < n; j++, i = i + 1 === flows ? 0 : i + 1) {
      const w = i * 10;
      for (let k = 0; k < 10; k++) words[at + k] = keys[w + k]!;
      sink += ct.lookupKey(2);
    }
  };
  const ts = (n: number) => {
    for (let j = 0, i = 0; j < n; j++, i = i + 1 === flows ? 0 : i + 1) sink += oracle.lookup(keys, i * 10, 2);
  };
  report({ name: "conntrack lookup hit at 8,000 flows (in cache)", value: nsPerOp(wasm, 1_000_000, 5), unit: "ns/lookup", oracle: nsPerOp(ts, 1_000_000, 5) });
  if (sink === 0.5) throw new Error("unreachable");
}

/** Alternating pairs of the yardstick and the chained hits (PAIRS of them). */
const PAIRS = 5;

/**
 * The judged ratio: the yardstick and the chained hits measured in turn, PAIRS times, one ratio a
 * pair, their median. Measured once each, minutes apart, the ratio swung 1.08-1.72 from run to run
 * on this shared machine while a helper's build ran on the other core: whatever moves the memory
 * latency (the other core's traffic, the host) moved the two figures at different times.
 */
function reportPairs(report: Report, hits: (n: number) => void): void {
  const yardstick = makeChain(tableLikeRegion(64 * 1024 * 1024));
  const ratios: number[] = [];
  for (let r = 0; r < PAIRS; r++) {
    const readNs = chaseNs(yardstick, 2_000_000, 3);
    ratios.push(nsPerOp(hits, FLOWS, 3) / readNs);
  }
  ratios.sort((a, b) => a - b);
  report({
    name: `conntrack lookup hit / dependent random read (median of ${PAIRS} alternating pairs; spread ${ratios[0]!.toFixed(2)}-${ratios[PAIRS - 1]!.toFixed(2)})`,
    value: ratios[PAIRS >> 1]!,
    unit: "x",
    target: "<= 1.1",
  });
}

export function run(report: Report): void {
  inCache(report);
  const inst = instantiateCore("release");
  const ct = new ConnTrack(CAPACITY, { core: inst, seed: SEED });
  const oracle = new ConntrackOracle(CAPACITY, SEED);
  const keys = makeKeys(FLOWS * 2, PROTO_UDP); // the second half is never inserted: lookups that miss
  const words = new Uint32Array(inst.memory.buffer);
  const at = ct.keyOffset >>> 2;
  // `dep` is a zero the caller derives from the previous lookup's result: xored into the tuple, it
  // makes each lookup wait for the one before (a chain, as the yardstick's reads are).
  const put = (i: number, dep = 0) => {
    const w = i * 10;
    words[at] = keys[w]! ^ dep;
    for (let k = 1; k < 10; k++) words[at + k] = keys[w + k]!;
  };
  const scratch = new Uint32Array(10);
  const stage = (i: number, dep: number) => {
    const w = i * 10;
    scratch[0] = keys[w]! ^ dep;
    for (let k = 1; k < 10; k++) scratch[k] = keys[w + k]!;
  };
  // Backends are 0..1023 and a miss is -1: (r + 1) >>> 31 is always 0, but only once r is known.
  // Misses only: a miss's -1 comes out of branches that are predicted right, so the CPU may run
  // ahead past it whatever the chain; their figure is not a latency.
  const zeroAfter = (r: number) => (r + 1) >>> 31;
  // Hits: r ^ (the backend flow j was inserted with) is 0 only for the right answer. A zero that
  // any result gives (zeroAfter) would let the CPU run ahead on a mispredicted "miss" path, whose
  // next key is the same, and prefetch the next lookup's lines: a hit's chain must need its data.
  const zeroIfHit = (r: number, j: number) => r ^ (j & 1023);

  let t0 = Bun.nanoseconds();
  for (let i = 0; i < FLOWS; i++) {
    put(i);
    ct.insertKey(i & 1023, 1);
  }
  const insertNs = (Bun.nanoseconds() - t0) / FLOWS;
  t0 = Bun.nanoseconds();
  for (let i = 0; i < FLOWS; i++) oracle.insert(keys, i * 10, i & 1023, 1, 0);
  const oracleInsertNs = (Bun.nanoseconds() - t0) / FLOWS;
  const stats = ct.stats();
  if (stats.size !== FLOWS || stats.evictions !== 0) throw new Error(`fill left ${JSON.stringify(stats)}`);
  report({ name: "conntrack insert, empty to 1,000,000 UDP flows (1 run)", value: insertNs, unit: "ns/insert", oracle: oracleInsertNs });
  // The yardstick, measured now: same run, same memory pressure as the lookups below.
  const dramNs = dependentReadNs();
  report({ name: "one dependent random read in a 64 MiB array (paged as the table)", value: dramNs, unit: "ns" });
  report({ name: "the same in a plain JS array (context: default pages)", value: dependentReadJsArrayNs(), unit: "ns" });
  // Each extra line a step reads beside the first adds to the wait, though the reads overlap.
  reportPatterns(report, CAPACITY);
  // And the work between one miss and the next, in cache: what the lookup adds to its pattern.
  reportComponents(report, keys, SEED);

  // Keys are read in order (as a packet's tuple would already be in cache); the table slots they
  // hit are still scattered at random by the hash, which is what the lookup figure must include.
  let sink = 0;
  const wasmHits = (n: number) => {
    let r = 0;
    for (let j = 0; j < n; j++) {
      put(j, j === 0 ? 0 : zeroIfHit(r, j - 1));
      r = ct.lookupKey(2);
      sink += r;
    }
  };
  const oracleHits = (n: number) => {
    let r = 0;
    for (let j = 0; j < n; j++) {
      stage(j, j === 0 ? 0 : zeroIfHit(r, j - 1));
      r = oracle.lookup(scratch, 0, 2);
      sink += r;
    }
  };
  // One whole untimed pass first: a data plane runs warm, and JSC moves a hot WASM function to
  // its optimizing tier only after many calls (measured cold, the first pass read up to 1.4x slower).
  wasmHits(FLOWS);
  const hitNs = nsPerOp(wasmHits, FLOWS, 5);
  report({
    name: "conntrack lookup hit at 1,000,000 UDP flows (chained)",
    value: hitNs,
    unit: "ns/lookup",
    oracle: nsPerOp(oracleHits, FLOWS, 5),
    target: `<= 1.1x the dependent read (${(1.1 * dramNs).toFixed(0)} ns), not slower than the oracle`,
  });
  report({ name: "conntrack lookup hit / dependent random read (one measurement each)", value: hitNs / dramNs, unit: "x" });
  reportPairs(report, wasmHits);
  const wasmIndependent = (n: number) => {
    for (let j = 0; j < n; j++) {
      put(j);
      sink += ct.lookupKey(2);
    }
  };
  report({ name: "conntrack lookup hit, independent calls", value: nsPerOp(wasmIndependent, FLOWS, 5), unit: "ns/lookup" });
  const batchAt = ct.batchOffset >>> 2;
  const wasmBatches = (n: number) => {
    for (let j = 0; j < n; j += CONNTRACK_BATCH) {
      const count = Math.min(CONNTRACK_BATCH, n - j);
      words.set(keys.subarray(j * 10, (j + count) * 10), batchAt);
      sink += ct.lookupBatch(count, 2);
    }
  };
  const out = new Int32Array(CONNTRACK_BATCH);
  const oracleBatches = (n: number) => {
    for (let j = 0; j < n; j += CONNTRACK_BATCH) sink += oracle.lookupMany(keys, j * 10, Math.min(CONNTRACK_BATCH, n - j), 2, out);
  };
  report({
    name: "conntrack lookupBatch hit at 1,000,000 UDP flows, 256 a call",
    value: nsPerOp(wasmBatches, FLOWS, 5),
    unit: "ns/lookup",
    oracle: nsPerOp(oracleBatches, FLOWS, 5),
    target: "<= 120 ns, not slower than the oracle",
  });
  const wasmMisses = (n: number) => {
    let r = 0;
    for (let j = 0; j < n; j++) {
      put(FLOWS + j, zeroAfter(r));
      r = ct.lookupKey(3);
      sink += r;
    }
  };
  const oracleMisses = (n: number) => {
    let r = 0;
    for (let j = 0; j < n; j++) {
      stage(FLOWS + j, zeroAfter(r));
      r = oracle.lookup(scratch, 0, 3);
      sink += r;
    }
  };
  const missNs = nsPerOp(wasmMisses, FLOWS, 5);
  report({
    name: "conntrack lookup miss at 1,000,000 UDP flows (chained)",
    value: missNs,
    unit: "ns/lookup",
    oracle: nsPerOp(oracleMisses, FLOWS, 5),
    target: `<= 1.1x the dependent read (${(1.1 * dramNs).toFixed(0)} ns)`,
  });

  const sweepMs = medianMs(() => (sink += ct.sweep(4, 1_000_000, CAPACITY)), 5, 1);
  const oracleSweepMs = medianMs(() => (sink += oracle.sweep(4, 1_000_000, CAPACITY)), 5, 1);
  report({ name: "conntrack sweep, full pass over 1,048,000 slots", value: sweepMs, unit: "ms", oracle: oracleSweepMs });
  report({ name: "conntrack sweep, per slot visited", value: (sweepMs * 1e6) / CAPACITY, unit: "ns/slot" });
  const countMs = medianMs(() => (sink += ct.countBackend(7)), 5, 1);
  report({ name: "conntrack countBackend, full scan", value: countMs, unit: "ms" });

  // Past 96% load every new flow searches a small window and mostly evicts: the overload regime.
  const CHURN = 100_000;
  t0 = Bun.nanoseconds();
  for (let i = 0; i < CHURN; i++) {
    put(FLOWS + i);
    ct.insertKey(i & 1023, 3);
  }
  const churnNs = (Bun.nanoseconds() - t0) / CHURN;
  t0 = Bun.nanoseconds();
  for (let i = 0; i < CHURN; i++) oracle.insert(keys, (FLOWS + i) * 10, i & 1023, 3, 0);
  const oracleChurnNs = (Bun.nanoseconds() - t0) / CHURN;
  const { size, evictions } = ct.stats();
  report({
    name: `conntrack insert past 96% load (${((100 * evictions) / CHURN).toFixed(0)}% evict, 1 run)`,
    value: churnNs,
    unit: "ns/insert",
    oracle: oracleChurnNs,
  });

  t0 = Bun.nanoseconds();
  const expired = ct.sweep(1_000_000, 1000, CAPACITY);
  report({ name: `conntrack sweep expiring all ${size} flows`, value: (Bun.nanoseconds() - t0) / 1e6, unit: "ms" });
  if (expired !== size || sink === 0.5) throw new Error(`sweep expired ${expired} of ${size}`);
}
