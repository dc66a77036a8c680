import type { RangeQueue } from "../../../src/l7/range-queue.ts";

/** The bytes a RangeQueue sink holds, as latin1: what a head emitter wrote into it. */
export function queuedText(q: RangeQueue): string {
  const out = Buffer.alloc(q.bytes);
  q.copyTo(out);
  return out.toString("latin1");
}
