/**
 * The machine's memory latency, as the conntrack bench's yardstick (issue 17): one dependent
 * random read in a 64 MiB array. The array is cut into 64-byte lines linked into one random cycle
 * (Sattolo's algorithm), so each read's address comes from the previous read: no prefetcher or
 * out-of-order core can overlap them, and every step is a cache miss (and mostly a TLB miss, as a
 * lookup in a 64 MiB table is).
 */

const LINE_WORDS = 16; // 64 bytes of u32

/** A random cyclic chain over the lines of a `bytes`-byte array: word 0 of each line holds the next line's word index. */
export function makeChain(bytes: number, seed = 0x2545f491): Uint32Array {
  const lines = bytes / 64;
  const a = new Uint32Array(bytes / 4);
  const order = new Uint32Array(lines);
  for (let i = 0; i < lines; i++) order[i] = i;
  let s = seed >>> 0;
  const rand = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
  // Sattolo: a uniformly random permutation with a single cycle.
  for (let i = lines - 1; i > 0; i--) {
    const j = rand() % i;
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  for (let i = 0; i < lines; i++) a[order[i]! * LINE_WORDS] = order[(i + 1) % lines]! * LINE_WORDS;
  return a;
}

/** Follows the chain for `steps` reads from word 0; returns where it stopped (keep it, so the loop is not dropped). */
export function chase(a: Uint32Array, steps: number): number {
  let i = 0;
  for (let k = 0; k < steps; k++) i = a[i]!;
  return i;
}

/** Nanoseconds per dependent read in a `bytes` array (median of `samples` runs of `steps` reads). */
export function dependentReadNs(bytes = 64 * 1024 * 1024, steps = 2_000_000, samples = 7): number {
  const a = makeChain(bytes);
  let sink = chase(a, steps); // warm: page faults, TLB, the JIT
  const per: number[] = [];
  for (let r = 0; r < samples; r++) {
    const t0 = Bun.nanoseconds();
    sink ^= chase(a, steps);
    per.push((Bun.nanoseconds() - t0) / steps);
  }
  if (sink === 0.5) throw new Error("unreachable");
  per.sort((x, y) => x - y);
  return per[per.length >> 1]!;
}
