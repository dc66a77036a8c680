/**
 * Hashing: batch 5-tuple flow hashing (target ≥ 150 million keys/s, issue 2) and xxh64 of short
 * keys, WASM release core against the plain-TypeScript oracles. Medians; 2 shared cores.
 */
import { core, coreFlavor, hashTuplesBatch, memU8, TUPLE_BYTES, xxh64Batch } from "../../src/wasm/index.ts";
import { flowHashOracle } from "../oracles/flow-hash.ts";
import { xxh64Oracle } from "../oracles/xxh64.ts";
import { nsPerOp, type Report } from "./harness.ts";

interface HashKernels {
  hashScratch(bytes: number): number;
  hashTuples(inPtr: number, count: number, seed: number, outPtr: number): void;
  xxh64Batch(dataPtr: number, offsetsPtr: number, count: number, lo: number, hi: number, outPtr: number): void;
}

const TUPLES = 16384; // 640 KiB of tuples: the size of a busy batch, bigger than L1 and L2

function randomFill(b: Uint8Array): void {
  let x = 0x9e3779b9;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
}

function tupleFigures(report: Report, ex: HashKernels): void {
  const tuples = new Uint8Array(TUPLES * TUPLE_BYTES);
  randomFill(tuples);
  const inPtr = ex.hashScratch(TUPLES * (TUPLE_BYTES + 4)) >>> 0;
  const outPtr = inPtr + TUPLES * TUPLE_BYTES;
  memU8().set(tuples, inPtr);
  const out = new Uint32Array(TUPLES);
  warm(() => {
    ex.hashTuples(inPtr, TUPLES, 7, outPtr);
    hashTuplesBatch(tuples, 7, out);
  });
  // Kernel: tuples already in linear memory, as the data plane and conntrack hold them.
  const kernelNs = nsPerOp((n) => {
    for (let done = 0; done < n; done += TUPLES) ex.hashTuples(inPtr, TUPLES, 7, outPtr);
  }, TUPLES * 200);
  const facadeNs = nsPerOp((n) => {
    for (let done = 0; done < n; done += TUPLES) hashTuplesBatch(tuples, 7, out);
  }, TUPLES * 50);
  // The oracle last: its BigInt garbage would otherwise keep the collector busy during the above.
  const oracleNs = nsPerOp((n) => {
    for (let i = 0; i < n; i++) flowHashOracle(tuples, (i % TUPLES) * TUPLE_BYTES, 7);
  }, 20_000, 3);
  report({ name: "5-tuple hash, batch in linear memory", value: 1e3 / kernelNs, unit: "Mkeys/s", oracle: 1e3 / oracleNs, target: ">= 150 Mkeys/s" });
  report({ name: "5-tuple hash, hashTuplesBatch (copy in/out)", value: 1e3 / facadeNs, unit: "Mkeys/s", oracle: 1e3 / oracleNs });
}

function xxhFigures(report: Report, ex: HashKernels): void {
  const keys = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1:80`);
  const bytes = keys.map((k) => new TextEncoder().encode(k));
  const total = bytes.reduce((s, b) => s + b.length, 0);
  const base = ex.hashScratch(keys.length * 12 + 4 + total) >>> 0;
  const outPtr = base;
  const offsetsPtr = base + keys.length * 8;
  const dataPtr = offsetsPtr + (keys.length + 1) * 4;
  const u8 = memU8();
  const offsets = new Uint32Array(u8.buffer, offsetsPtr, keys.length + 1);
  let at = 0;
  bytes.forEach((b, i) => {
    offsets[i] = at;
    u8.set(b, dataPtr + at);
    at += b.length;
  });
  offsets[keys.length] = at;
  warm(() => {
    ex.xxh64Batch(dataPtr, offsetsPtr, keys.length, 1, 0, outPtr);
    xxh64Batch(keys.slice(0, 100), 1);
  });
  const kernelNs = nsPerOp((n) => {
    for (let done = 0; done < n; done += keys.length) ex.xxh64Batch(dataPtr, offsetsPtr, keys.length, 1, 0, outPtr);
  }, keys.length * 100);
  const facadeNs = nsPerOp((n) => {
    for (let done = 0; done < n; done += keys.length) xxh64Batch(keys, 1);
  }, keys.length * 10);
  const bunNs = nsPerOp((n) => {
    for (let i = 0; i < n; i++) Bun.hash.xxHash64(bytes[i % bytes.length]!, 1n);
  }, 200_000);
  const oracleNs = nsPerOp((n) => {
    for (let i = 0; i < n; i++) xxh64Oracle(bytes[i % bytes.length]!, 1n);
  }, 20_000, 3);
  report({ name: "xxh64 of ~13-byte keys, batch in linear memory", value: kernelNs, unit: "ns/key", oracle: oracleNs });
  report({ name: "xxh64 of ~13-byte keys, xxh64Batch façade", value: facadeNs, unit: "ns/key", oracle: oracleNs });
  report({ name: "xxh64 of ~13-byte keys, Bun.hash.xxHash64 per call", value: bunNs, unit: "ns/key" });
}

/**
 * Runs `fn` for `ms` milliseconds untimed. JSC compiles WASM with a baseline tier first and swaps in
 * optimised code from a background thread; on a busy machine that takes a while, and a figure taken
 * before it measures the baseline tier.
 */
function warm(fn: () => void, ms = 400): void {
  const until = performance.now() + ms;
  while (performance.now() < until) fn();
}

export function run(report: Report): void {
  if (coreFlavor() !== "release") throw new Error("hash bench: needs the release core (unset FULCRUM_WASM)");
  const ex = core() as unknown as HashKernels;
  tupleFigures(report, ex);
  xxhFigures(report, ex);
}
