/**
 * `random`: each pick draws a backend with probability proportional to its weight (one
 * Math.random and an alias-table lookup). A retry leaves out earlier attempts (binary search).
 */
import { avoidFirst, avoidLast, record } from "./attempts.ts";
import type { BalanceBackend, PickContext, Selector } from "./selector.ts";
import { drawAlias, pickWeighted, weightTable, type WeightTable } from "./weights.ts";

/** A weighted random pick over `t` avoiding earlier attempts; shared with the hashing fallback. */
export function randomPick(t: WeightTable, ctx: PickContext, attempt: number): number {
  if (attempt === 0 || t.active < 2) return drawAlias(t, Math.random());
  const a = t.active > 2 ? avoidFirst(ctx, attempt) : -1;
  return pickWeighted(t, Math.random(), a, avoidLast(ctx, attempt), -1);
}

class WeightedRandom implements Selector {
  readonly name = "random";
  constructor(private readonly t: WeightTable) {}

  pick(ctx: PickContext, attempt: number): number {
    return record(ctx, attempt, randomPick(this.t, ctx, attempt));
  }
}

/** A weighted random selector. */
export function buildRandom(backends: readonly BalanceBackend[]): Selector {
  return new WeightedRandom(weightTable(backends));
}
