/**
 * Maglev table population: the WASM release core (through the façade, as callers pay it, and the
 * kernel alone on inputs already in linear memory) against the plain-TypeScript oracle.
 * Targets (issue 2): N=1000, M=65537 ≤ 1.8 ms; N=1000, M=655373 ≤ 25 ms. Medians; 2 shared cores.
 */
import { core, coreFlavor, maglevTable } from "../../src/wasm/index.ts";
import { maglevOracle } from "../oracles/maglev.ts";
import { medianMs, type Report } from "./harness.ts";

const keys = Array.from({ length: 1000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1:8080`);
const equal = keys.map(() => 1);
const weighted = keys.map((_, i) => 1 + (i % 7));

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
  if (coreFlavor() !== "release") throw new Error("maglev bench: needs the release core (unset FULCRUM_WASM)");
  const populate = (core() as unknown as { maglevPopulate(n: number, m: number): number }).maglevPopulate;
  for (const [m, target, samples, oracleSamples] of [
    [65537, "<= 1.8 ms", 41, 5],
    [655373, "<= 25 ms", 11, 3],
  ] as const) {
    warm(() => maglevTable(keys, equal, m));
    Bun.gc(true);
    const value = medianMs(() => maglevTable(keys, equal, m), samples);
    // The same inputs stay in the core's regions after maglevTable, so this times the kernel alone.
    const kernel = medianMs(() => populate(1000, m), samples);
    // The oracle last: its BigInt garbage would otherwise keep the collector busy during the above.
    const oracle = medianMs(() => maglevOracle(keys, equal, m), oracleSamples, 1);
    report({ name: `maglev populate N=1000 M=${m}`, value, unit: "ms", oracle, target });
    report({ name: `maglev populate kernel N=1000 M=${m}`, value: kernel, unit: "ms" });
  }
  warm(() => maglevTable(keys, weighted));
  Bun.gc(true);
  const value = medianMs(() => maglevTable(keys, weighted), 21);
  const oracle = medianMs(() => maglevOracle(keys, weighted, 65537), 5, 1);
  report({ name: "maglev populate N=1000 M=65537 weights 1..7", value, unit: "ms", oracle });
}
