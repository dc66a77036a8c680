/**
 * Turns any HashTable into a Selector (STYLE.md §1): the key's hash is `ctx.hash` when the data
 * plane computed one (L4's flow hash) or the murmur3 of `ctx.key`; a request without a key gets a
 * weighted random pick instead of an error, as HAProxy's hdr()/url_param balancing falls back.
 */
import { record } from "./attempts.ts";
import type { HashTable } from "./hash-table.ts";
import { hashKey } from "./key-hash.ts";
import { randomPick } from "./random.ts";
import type { PickContext, Selector } from "./selector.ts";
import type { WeightTable } from "./weights.ts";

class HashingSelector implements Selector {
  constructor(
    readonly name: string,
    private readonly hashes: HashTable,
    private readonly t: WeightTable,
  ) {}

  get table(): Int32Array {
    return this.hashes.slots;
  }

  pick(ctx: PickContext, attempt: number): number {
    let h: number;
    if (ctx.hash !== undefined) h = ctx.hash >>> 0;
    else if (ctx.key !== undefined) h = hashKey(ctx.key);
    else return record(ctx, attempt, randomPick(this.t, ctx, attempt));
    return record(ctx, attempt, this.hashes.lookup(h, attempt, ctx));
  }
}

/** A selector named `name` that looks keys up in `table`; `t` (the same backends' weights) serves keyless picks. */
export function hashingSelector(name: string, table: HashTable, t: WeightTable): Selector {
  return new HashingSelector(name, table, t);
}
