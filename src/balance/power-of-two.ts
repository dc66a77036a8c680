/**
 * `power_of_two` (Mitzenmacher's power of two choices): two distinct candidates drawn at random by
 * weight, the one with less live load per unit of weight wins (a tie goes to the first drawn, itself
 * random). O(1) expected per pick. Without `ctx.load` it is a weighted random pick.
 */
import { avoidFirst, avoidLast, record } from "./attempts.ts";
import { randomPick } from "./random.ts";
import { loadAt, type BalanceBackend, type PickContext, type Selector } from "./selector.ts";
import { drawAlias, pickWeighted, weightTable, type WeightTable } from "./weights.ts";

// A few O(1) alias draws usually find a second distinct candidate; when they do not (one backend
// holds most of the weight) the exact draw without c1 takes over. Rejection then the exact
// conditional draw samples the same distribution, so the mix stays exact.
const ALIAS_TRIES = 3;

function secondCandidate(t: WeightTable, c1: number, a: number, b: number): number {
  for (let k = 0; k < ALIAS_TRIES; k++) {
    const c = drawAlias(t, Math.random());
    if (c !== c1 && c !== a && c !== b) return c;
  }
  return pickWeighted(t, Math.random(), a, b, c1);
}

class PowerOfTwo implements Selector {
  readonly name = "power_of_two";
  constructor(private readonly t: WeightTable) {}

  pick(ctx: PickContext, attempt: number): number {
    const t = this.t;
    const load = ctx.load;
    if (load === undefined || t.active < 2) return record(ctx, attempt, randomPick(t, ctx, attempt));
    const a = t.active > 2 ? avoidFirst(ctx, attempt) : -1;
    const b = avoidLast(ctx, attempt);
    const c1 = attempt === 0 ? drawAlias(t, Math.random()) : pickWeighted(t, Math.random(), a, b, -1);
    if (c1 < 0) return record(ctx, attempt, -1);
    const c2 = secondCandidate(t, c1, a, b);
    if (c2 < 0) return record(ctx, attempt, c1);
    const w = t.weights;
    return record(ctx, attempt, loadAt(ctx, c2) / w[c2]! < loadAt(ctx, c1) / w[c1]! ? c2 : c1);
  }
}

/** A weighted power-of-two-choices selector reading `ctx.load`. */
export function buildPowerOfTwo(backends: readonly BalanceBackend[]): Selector {
  return new PowerOfTwo(weightTable(backends));
}
