/**
 * Where a single conntrack lookup's time goes (issue 17), each part measured chained as the
 * lookup and the yardstick are (each step's key depends on the previous step's result), all in
 * cache, so what is left is the work that must happen between one memory miss and the next:
 * staging the key and calling into WASM, then hashing it, then the whole lookup over a table that
 * fits in cache. The lookup at 1,000,000 flows costs about this plus its memory pattern's time
 * (conntrack-patterns.ts).
 */
import { ConnTrack } from "../../src/wasm/conntrack.ts";
import { instantiateCore } from "../../src/wasm/core.ts";
import { nsPerOp, type Report } from "./harness.ts";

interface HashExport {
  conntrackHash(keyPtr: number, seed: number, which: number): number;
}

/**
 * `keys` holds at least 8,000 tuples of 10 words; they are inserted into a fresh 8,192-slot
 * table (in its own core instance, so no other view of memory is detached), then staged one by one
 * into its key scratch, as the 1,000,000-flow bench does.
 */
export function reportComponents(report: Report, keys: Uint32Array, seed: number): void {
  const flows = 8000;
  const inst = instantiateCore("release");
  const ct = new ConnTrack(8192, { core: inst, seed });
  const words = new Uint32Array(inst.memory.buffer);
  const at = ct.keyOffset >>> 2;
  const put = (i: number, dep: number) => {
    const w = i * 10;
    words[at] = keys[w]! ^ dep;
    for (let k = 1; k < 10; k++) words[at + k] = keys[w + k]!;
  };
  for (let i = 0; i < flows; i++) {
    put(i, 0);
    ct.insertKey(i & 1023, 1);
  }
  const hash = (inst as unknown as HashExport).conntrackHash;
  const keyOffset = ct.keyOffset;
  let sink = 0;
  // Each result r is turned into a zero that only exists once r does (r ^ want: zero only for the
  // right value, so no mispredicted path computes the same next key): the next key waits for it.
  const chained = (step: (i: number, dep: number) => number, want: (i: number) => number) => (n: number) => {
    let r = want(flows - 1);
    for (let j = 0, i = 0, prev = flows - 1; j < n; j++, prev = i, i = i + 1 === flows ? 0 : i + 1) {
      r = step(i, r ^ want(prev));
      sink += r;
    }
  };
  // A call that reads nothing of the key (the flags of the last hit: 0 or 1 here).
  const tags = new Uint32Array(flows);
  for (let i = 0; i < flows; i++) tags[i] = (put(i, 0), hash(keyOffset, seed, 0) & 1);
  const stageCall = nsPerOp(chained((i, dep) => (put(i, dep), ct.lastFlags & 1), () => 0), 1_000_000, 5);
  const stageHash = nsPerOp(chained((i, dep) => (put(i, dep), hash(keyOffset, seed, 0) & 1), (i) => tags[i]!), 1_000_000, 5);
  const whole = nsPerOp(chained((i, dep) => (put(i, dep), ct.lookupKey(2)), (i) => i & 1023), 1_000_000, 5);
  report({ name: "part: stage the key + one call, chained", value: stageCall, unit: "ns" });
  report({ name: "part: stage + call + placement hash, chained", value: stageHash, unit: "ns" });
  report({ name: "part: whole lookup, table in cache, chained", value: whole, unit: "ns" });
  if (sink === 0.5) throw new Error("unreachable");
}
