/**
 * Field offsets that the heads of one parser take in turn, so that a keep-alive connection does
 * not copy a new offset table for every message (see MessageParser.reuseFields). A head's table is
 * valid until the parser reads the next head.
 */
import { FIELD_STRIDE } from "./head.ts";

/** Fields' room is grown in steps of this many, so a head one field longer than the last does not reallocate. */
const STEP = 8 * FIELD_STRIDE;

export class FieldStore {
  private table: Int32Array | null = null;

  /** scratch[0, n) in the store's table (grown when short), which is returned. */
  take(scratch: Int32Array, n: number): Int32Array {
    let t = this.table;
    if (t === null || t.length < n) this.table = t = new Int32Array(Math.ceil(Math.max(n, 1) / STEP) * STEP);
    for (let i = 0; i < n; i++) t[i] = scratch[i]!;
    return t;
  }
}

/** The offset table for a head of `n` ints: the store's (reused) or a copy of its own. */
export function headFields(scratch: Int32Array, n: number, store: FieldStore | null): Int32Array {
  return store === null ? scratch.slice(0, n) : store.take(scratch, n);
}
