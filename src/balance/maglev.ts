/**
 * Maglev (Eisenbud et al., NSDI 2016) as a HashTable: the WASM core populates the Envoy-compatible
 * table once per backend set (src/wasm maglevTable), and a lookup is `table[hash % size]`.
 * Neighbouring slots belong to unrelated backends, so walking on to the next slot for a retry or
 * an overloaded backend spreads that traffic instead of piling it on one neighbour.
 */
import { isLbError, LbError } from "../errors.ts";
import { maglevTable } from "../wasm/index.ts";
import { skipCount, walkFrom, type HashTable } from "./hash-table.ts";
import type { BalanceBackend, PickContext } from "./selector.ts";
import { avoidFirst, avoidLast } from "./attempts.ts";

/** Envoy's default (and ours): a prime comfortably above 100 × the backends of a typical pool. */
export const MAGLEV_DEFAULT_TABLE_SIZE = 65537;

class MaglevTable implements HashTable {
  constructor(
    readonly slots: Int32Array,
    readonly backends: number,
  ) {}

  slotOf(hash: number): number {
    return (hash >>> 0) % this.slots.length;
  }

  lookup(hash: number, attempt: number, ctx: PickContext): number {
    const start = (hash >>> 0) % this.slots.length;
    if (attempt === 0) {
      const i = this.slots[start]!;
      if (i >= 0) return i;
    }
    const n = this.backends;
    return walkFrom(this.slots, start, skipCount(attempt, n), n > 2 ? avoidFirst(ctx, attempt) : -1, avoidLast(ctx, attempt));
  }
}

/**
 * Builds the Maglev table for `backends` (indices as given) with a prime `tableSize`. Throws
 * LbError MAGLEV_TABLE_SIZE for a bad size and CONFIG_INVALID for weights Maglev cannot take
 * (they must be integers). Costs milliseconds at N=1000: build off the hot path.
 */
export function buildMaglev(backends: readonly BalanceBackend[], tableSize = MAGLEV_DEFAULT_TABLE_SIZE): HashTable {
  const keys = backends.map((b) => b.key);
  const weights = backends.map((b) => b.weight);
  let slots: Int32Array;
  try {
    slots = maglevTable(keys, weights, tableSize);
  } catch (e) {
    if (isLbError(e, "MAGLEV_TABLE_SIZE")) throw e;
    throw new LbError("CONFIG_INVALID", `maglev: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return new MaglevTable(slots, owners(weights, tableSize));
}

/**
 * How many backends own slots, without a pass over the table: every backend of weight > 0 takes a
 * turn on the first iteration (its target is still 0), in key order, so the first min(active, size)
 * of them own a slot each and the rest none.
 */
function owners(weights: readonly number[], size: number): number {
  let active = 0;
  for (const w of weights) if (w > 0) active++;
  return Math.min(active, size);
}
