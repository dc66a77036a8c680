/**
 * `least_connections`, weighted: the backend with the least live load per unit of weight
 * (load / weight, as nginx's least_conn compares conns × weight), ties broken at random in
 * proportion to weight, so an idle pool behaves as weighted random. Exact, so O(N) per pick as in
 * nginx: one pass finds the minimum and the tied weight, a second draws among the tied. (Envoy's
 * LEAST_REQUEST samples two instead: that is power_of_two here, O(1) for large pools.)
 */
import { avoidFirst, avoidLast, record } from "./attempts.ts";
import { randomPick } from "./random.ts";
import type { BalanceBackend, PickContext, Selector } from "./selector.ts";
import { weightTable, type WeightTable } from "./weights.ts";

class LeastConnections implements Selector {
  readonly name = "least_connections";
  /** indices with weight > 0, and their weights, packed so the scan skips nothing */
  private readonly idx: Int32Array;
  private readonly w: Float64Array;

  constructor(private readonly t: WeightTable) {
    this.idx = new Int32Array(t.active);
    this.w = new Float64Array(t.active);
    let j = 0;
    for (let i = 0; i < t.n; i++) {
      if (t.weights[i]! > 0) {
        this.idx[j] = i;
        this.w[j++] = t.weights[i]!;
      }
    }
  }

  pick(ctx: PickContext, attempt: number): number {
    const load = ctx.load;
    if (load === undefined) return record(ctx, attempt, randomPick(this.t, ctx, attempt));
    const idx = this.idx, w = this.w, m = idx.length;
    const a = m > 2 ? avoidFirst(ctx, attempt) : -1;
    const b = m > 1 ? avoidLast(ctx, attempt) : -1;
    // The minimum ratio is kept as the fraction bestLoad / bestW and compared by cross-multiplying:
    // no division in the loop, and equal ratios of integer loads and weights compare equal exactly.
    let bestLoad = 0, bestW = 0, tiedW = 0, ties = 0, best = -1;
    for (let j = 0; j < m; j++) {
      const i = idx[j]!;
      if (i === a || i === b) continue;
      const l = load[i]!, wj = w[j]!;
      const lhs = l * bestW, rhs = bestLoad * wj;
      if (lhs < rhs || ties === 0) {
        bestLoad = l;
        bestW = wj;
        tiedW = wj;
        ties = 1;
        best = i;
      } else if (lhs === rhs) {
        tiedW += wj;
        ties++;
      }
    }
    if (ties < 2) return record(ctx, attempt, best);
    // A second pass only when the minimum is shared: draw among the tied by weight.
    let x = Math.random() * tiedW;
    for (let j = 0; j < m; j++) {
      const i = idx[j]!;
      if (i === a || i === b || load[i]! * bestW !== bestLoad * w[j]!) continue;
      best = i;
      x -= w[j]!;
      if (x < 0) break;
    }
    return record(ctx, attempt, best);
  }
}

/** A weighted least-connections selector reading `ctx.load`. */
export function buildLeastConnections(backends: readonly BalanceBackend[]): Selector {
  return new LeastConnections(weightTable(backends));
}
