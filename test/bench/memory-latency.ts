/**
 * The machine's memory latency, as the conntrack bench's yardstick (issue 17): one dependent
 * random read in a 64 MiB array. The array is cut into 64-byte lines linked into one random cycle
 * (Sattolo's algorithm), so each read's address comes from the previous read: no prefetcher or
 * out-of-order core can overlap them, and every step is a cache miss.
 *
 * Like with like: the conntrack table lives in linear memory advised into 2 MiB pages
 * (src/wasm/huge-pages.ts), so the yardstick's array is placed the same way (`tableLikeRegion`).
 * A plain JS Uint32Array of 64 MiB gets whatever pages the allocator gives it (4 KiB ones in the
 * runs checked, /proc/self/smaps): it read 166-234 ns from run to run where the table-like region
 * read 150-167, so the ratio moved by up to a third without the table changing.
 */
import { adviseHugePages } from "../../src/wasm/huge-pages.ts";

const LINE_WORDS = 16; // 64 bytes of u32
const WASM_PAGE = 65536;

/**
 * `bytes` of a fresh linear memory, reserved as a conntrack table is: huge pages advised for the
 * range before it is grown into and first touched. Falls back to default pages where the kernel
 * offers none, exactly as the table does.
 */
export function tableLikeRegion(bytes: number): Uint32Array {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1 + Math.ceil(bytes / WASM_PAGE) });
  adviseHugePages(mem, bytes);
  mem.grow(Math.ceil(bytes / WASM_PAGE));
  return new Uint32Array(mem.buffer, WASM_PAGE, bytes / 4);
}

/**
 * Links the 64-byte lines of `a` into one random cycle: word 0 of each line holds the next line's
 * word index. Returns `a`.
 */
export function makeChain(a: Uint32Array, seed = 0x2545f491): Uint32Array {
  const lines = a.length / LINE_WORDS;
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

/** Nanoseconds per dependent read along the chain in `a` (median of `samples` runs of `steps` reads). */
export function chaseNs(a: Uint32Array, steps = 2_000_000, samples = 7): number {
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

/** floor(h * n / 2^32) for a u32 h: a line or bucket index. */
const range = (h: number, n: number) => Math.floor(((h >>> 0) / 4294967296) * n);

/**
 * Nanoseconds per step of a chain whose every step reads `lines` 64-byte lines of each of `places`
 * random `lines`-line blocks of `a` (all of a step's reads independent of one another, the next
 * step's blocks derived from what they returned). places 1 and lines 1 is one random read;
 * places 2 and lines 4 is the conntrack probe's pattern (two buckets of four slots).
 */
export function blockReadNs(a: Uint32Array, places: number, lines: number, steps = 1_000_000, samples = 5): number {
  const blocks = Math.floor(a.length / (LINE_WORDS * lines));
  const walk = (n: number) => {
    let x = 1;
    for (let k = 0; k < n; k++) {
      let h = Math.imul(x + k, 0x9e3779b1);
      let acc = 0;
      for (let p = 0; p < places; p++) {
        const base = range(h, blocks) * LINE_WORDS * lines;
        for (let l = 0; l < lines; l++) acc ^= a[base + l * LINE_WORDS]!;
        h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
      }
      x = acc;
    }
    return x;
  };
  let sink = walk(steps >> 2);
  const per: number[] = [];
  for (let r = 0; r < samples; r++) {
    const t0 = Bun.nanoseconds();
    sink ^= walk(steps);
    per.push((Bun.nanoseconds() - t0) / steps);
  }
  if (sink === 0.5) throw new Error("unreachable");
  per.sort((x, y) => x - y);
  return per[per.length >> 1]!;
}

/** Nanoseconds per dependent read in a `bytes` array paged like a conntrack table. */
export function dependentReadNs(bytes = 64 * 1024 * 1024, steps = 2_000_000, samples = 7): number {
  return chaseNs(makeChain(tableLikeRegion(bytes)), steps, samples);
}

/** The same in a plain JS Uint32Array (default pages, whatever the allocator gets): context only. */
export function dependentReadJsArrayNs(bytes = 64 * 1024 * 1024, steps = 2_000_000, samples = 7): number {
  return chaseNs(makeChain(new Uint32Array(bytes / 4)), steps, samples);
}
