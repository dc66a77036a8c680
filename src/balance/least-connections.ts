/**
 * `least_connections`, weighted: the backend with the least live load per unit of weight
 * (load / weight, as nginx's least_conn compares conns × weight), ties broken at random in
 * proportion to weight, so an idle pool behaves as weighted random. Exact, so O(N) per pick: one
 * pass finds the minimum and the tied weight, a second draws among the tied.
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
    let min = Infinity, tied = 0;
    for (let j = 0; j < m; j++) {
      const i = idx[j]!;
      if (i === a || i === b) continue;
      // Division, not a multiply by 1/w: equal ratios then compare equal exactly.
      const r = load[i]! / w[j]!;
      if (r < min) {
        min = r;
        tied = w[j]!;
      } else if (r === min) tied += w[j]!;
    }
    if (tied === 0) return record(ctx, attempt, -1);
    let x = Math.random() * tied;
    let last = -1;
    for (let j = 0; j < m; j++) {
      const i = idx[j]!;
      if (i === a || i === b || load[i]! / w[j]! !== min) continue;
      last = i;
      x -= w[j]!;
      if (x < 0) break;
    }
    return record(ctx, attempt, last);
  }
}

/** A weighted least-connections selector reading `ctx.load`. */
export function buildLeastConnections(backends: readonly BalanceBackend[]): Selector {
  return new LeastConnections(weightTable(backends));
}
