/**
 * `least_connections`, weighted: the backend with the least live load per unit of weight
 * (load / weight, as nginx's least_conn compares conns × weight), ties broken at random in
 * proportion to weight, so an idle pool behaves as weighted random. Exact, so O(N) per pick as in
 * nginx: one pass finds the minimum and the tied weight, a second draws among the tied. A data
 * plane that reports every change to its load array through `loadChanged` gets O(log N) picks
 * from a LoadIndex instead (retries still scan, to leave out earlier attempts). A load shared by
 * the workers of a node (`loadSlots`) changes under other threads, so it is always scanned. (Envoy's
 * LEAST_REQUEST samples two instead: that is power_of_two here, O(1) for large pools.)
 */
import { avoidFirst, avoidLast, record } from "./attempts.ts";
import { LoadIndex } from "./load-index.ts";
import { randomPick } from "./random.ts";
import type { BalanceBackend, PickContext, Selector } from "./selector.ts";
import { weightTable, type WeightTable } from "./weights.ts";

class LeastConnections implements Selector {
  readonly name = "least_connections";
  /** indices with weight > 0, and their weights, packed so the scan skips nothing */
  private readonly idx: Int32Array;
  private readonly w: Float64Array;
  /** backend index -> position in idx (-1 for weight 0) */
  private readonly pos: Int32Array;
  private readonly index: LoadIndex;
  /** the load array the index mirrors, once the data plane reports changes to it */
  private indexed: ArrayLike<number> | undefined;

  constructor(private readonly t: WeightTable) {
    this.idx = new Int32Array(t.active);
    this.w = new Float64Array(t.active);
    this.pos = new Int32Array(t.n).fill(-1);
    let j = 0;
    for (let i = 0; i < t.n; i++) {
      if (t.weights[i]! > 0) {
        this.pos[i] = j;
        this.idx[j] = i;
        this.w[j++] = t.weights[i]!;
      }
    }
    this.index = new LoadIndex(this.idx, this.w);
  }

  loadChanged(i: number, load: ArrayLike<number>): void {
    if (load !== this.indexed) {
      this.index.rebuild(load);
      this.indexed = load;
      return;
    }
    const j = this.pos[i];
    if (j !== undefined && j >= 0) this.index.update(j, load[i]!);
  }

  pick(ctx: PickContext, attempt: number): number {
    const load = ctx.load;
    if (load === undefined) return record(ctx, attempt, randomPick(this.t, ctx, attempt));
    const slots = ctx.loadSlots;
    if (attempt === 0 && load === this.indexed && slots === undefined) return record(ctx, attempt, this.index.pick(Math.random()));
    const idx = this.idx, w = this.w, m = idx.length;
    const a = m > 2 ? avoidFirst(ctx, attempt) : -1;
    const b = m > 1 ? avoidLast(ctx, attempt) : -1;
    // The minimum ratio is kept as the fraction bestLoad / bestW and compared by cross-multiplying:
    // no division in the loop, and equal ratios of integer loads and weights compare equal exactly.
    let bestLoad = 0, bestW = 0, tiedW = 0, ties = 0, best = -1;
    for (let j = 0; j < m; j++) {
      const i = idx[j]!;
      if (i === a || i === b) continue;
      const l = slots === undefined ? load[i]! : load[slots[i]!]!, wj = w[j]!;
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
      if (i === a || i === b || (slots === undefined ? load[i]! : load[slots[i]!]!) * bestW !== bestLoad * w[j]!) continue;
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
