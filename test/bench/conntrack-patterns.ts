/**
 * What bounds a single conntrack lookup on this machine (issue 17), measured beside it: the cost
 * of its memory pattern alone, chained (each step waits for the previous one) as the yardstick's
 * reads are, in a region paged as the table is.
 */
import type { Report } from "./harness.ts";
import { blockReadNs, makeChain, tableLikeRegion } from "./memory-latency.ts";

/** The lookup's memory pattern without its computation: lines read a step, chained. */
export function reportPatterns(report: Report, lines: number): void {
  const region = makeChain(tableLikeRegion(lines * 64));
  const patterns = [[1, 1, "1 line"], [2, 1, "2 random lines"], [1, 4, "1 bucket (4 lines)"], [2, 4, "2 buckets (8 lines, the probe)"]] as const;
  for (const [places, perPlace, what] of patterns) {
    report({ name: `pattern: ${what} a step, chained`, value: blockReadNs(region, places, perPlace), unit: "ns" });
  }
}
