/**
 * The conntrack placement hash (assembly/conntrack-hash.ts) spreads flows like a random function at
 * the table's real size: 1,000,000 flows over the 262,000 buckets of a 1,048,000-slot table, for
 * random tuples and for the structured ones real traffic brings (one client network, consecutive
 * ports). The oracle computes it (its equality with the core is tested in conntrack.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { PROTO_UDP } from "../../src/wasm/tuple.ts";
import { placementAlt, placementTag } from "../oracles/conntrack.ts";

const FLOWS = 1_000_000;
const BUCKETS = 262_000;

/** Random IPv4-mapped and IPv6 tuples (xorshift32, so a failure reproduces). */
function randomFlows(): Uint32Array {
  let s = 0x2545f491;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
  const keys = new Uint32Array(FLOWS * 10);
  for (let i = 0; i < FLOWS; i++) {
    const w = i * 10;
    for (let k = 0; k < 9; k++) keys[w + k] = next();
    if (i % 2 === 0) [0, 1, 4, 5].forEach((k) => (keys[w + k] = 0));
    if (i % 2 === 0) [2, 6].forEach((k) => (keys[w + k] = 0xffff0000));
    keys[w + 9] = PROTO_UDP;
  }
  return keys;
}

/** 10.0.0.0/16 clients, every source port 1024..65535 in order, to one VIP:443: little entropy. */
function structuredFlows(): Uint32Array {
  const keys = new Uint32Array(FLOWS * 10);
  for (let i = 0; i < FLOWS; i++) {
    const w = i * 10;
    const host = Math.floor(i / 64_512);
    keys[w + 2] = 0xffff0000;
    keys[w + 3] = 0x0000000a | (host << 16);
    keys[w + 6] = 0xffff0000;
    keys[w + 7] = 0x0c02000a;
    keys[w + 8] = (1024 + (i % 64_512)) | (443 << 16);
    keys[w + 9] = PROTO_UDP;
  }
  return keys;
}

/** Pearson's chi-square over `counts` against a uniform spread, divided by its degrees of freedom. */
function chiSquarePerDof(counts: Uint32Array, total: number): number {
  const expected = total / counts.length;
  let chi = 0;
  for (const c of counts) chi += ((c - expected) * (c - expected)) / expected;
  return chi / (counts.length - 1);
}

describe("conntrack placement hash", () => {
  for (const [what, make] of [["random", randomFlows], ["structured", structuredFlows]] as const) {
    test(`spreads 1,000,000 ${what} flows evenly over both buckets, with independent halves`, () => {
      const keys = make();
      const first = new Uint32Array(BUCKETS);
      const offset = new Uint32Array(BUCKETS);
      const pairs = new Uint32Array(1024);
      const tags = new Set<number>();
      for (let i = 0; i < FLOWS; i++) {
        const tag = placementTag(keys, i * 10, 0x5eed);
        const alt = placementAlt();
        first[Math.floor((tag / 2 ** 32) * BUCKETS)]!++;
        offset[Math.floor((alt / 2 ** 32) * BUCKETS)]!++;
        // Joint spread of the two halves' top 5 bits: a correlation between them would show here.
        pairs[((tag >>> 27) << 5) | (alt >>> 27)]!++;
        tags.add(tag);
      }
      // A random function gives 1 with a standard deviation of sqrt(2 / dof): 0.003 and 0.044.
      expect(Math.abs(chiSquarePerDof(first, FLOWS) - 1)).toBeLessThan(0.02);
      expect(Math.abs(chiSquarePerDof(offset, FLOWS) - 1)).toBeLessThan(0.02);
      expect(Math.abs(chiSquarePerDof(pairs, FLOWS) - 1)).toBeLessThan(0.25);
      // 31 free tag bits: about n^2 / 2^32 = 233 pairs of flows share a tag by chance.
      expect(FLOWS - tags.size).toBeLessThan(400);
    });
  }
});
