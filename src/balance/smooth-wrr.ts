/**
 * `weighted_round_robin`: nginx's smooth weighted round robin (ngx_http_upstream_round_robin.c,
 * ngx_http_upstream_get_peer): every pick adds each weight to its backend's current value, takes the
 * largest (first on ties) and subtracts the total from it. Weights 5,1,1 give a,a,b,a,c,a,a: no
 * bursts. The sequence repeats every total/gcd picks, so when that cycle is short enough it is
 * computed once at build time and a pick is one array read; otherwise each pick runs nginx's O(N)
 * loop. A retry draws at random by weight, leaving out earlier attempts, without moving the cycle.
 * Given a ticket (the node's shared sequence, PickContext.ticket), a precomputed cycle is read at
 * the ticket's place, so a node's workers walk one cycle together.
 */
import { avoidFirst, avoidLast, record } from "./attempts.ts";
import type { BalanceBackend, PickContext, Selector } from "./selector.ts";
import { pickWeighted, weightTable, type WeightTable } from "./weights.ts";

/** Longest precomputed cycle (entries) and most build work (active backends × cycle, ~40 ms) before falling back to the live loop. */
export const WRR_SCHEDULE_MAX = 1 << 20;
export const WRR_BUILD_MAX = 1 << 22;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** One nginx step over `current` (mutated); returns the chosen index, -1 when no weight is > 0. */
function step(t: WeightTable, current: Float64Array): number {
  const w = t.weights;
  let best = -1;
  for (let i = 0; i < t.n; i++) {
    if (!(w[i]! > 0)) continue;
    current[i] = current[i]! + w[i]!;
    if (best < 0 || current[i]! > current[best]!) best = i;
  }
  if (best >= 0) current[best] = current[best]! - t.total;
  return best;
}

/** The whole cycle, or undefined when it is too long (or the weights are not integers). */
function schedule(t: WeightTable, limit: number): Int32Array | undefined {
  let g = 0;
  for (let i = 0; i < t.n; i++) {
    const w = t.weights[i]!;
    if (!Number.isInteger(w)) return undefined;
    if (w > 0) g = gcd(w, g);
  }
  if (g === 0) return new Int32Array(0);
  // Scaling every weight by 1/g scales every current value too, so the sequence is the same.
  const cycle = t.total / g;
  if (cycle > limit || cycle * t.active > WRR_BUILD_MAX) return undefined;
  const out = new Int32Array(cycle);
  const current = new Float64Array(t.n);
  for (let k = 0; k < cycle; k++) out[k] = step(t, current);
  return out;
}

class SmoothWrr implements Selector {
  readonly name = "weighted_round_robin";
  private cursor = 0;
  private readonly current: Float64Array;

  constructor(
    private readonly t: WeightTable,
    private readonly cycle: Int32Array | undefined,
  ) {
    this.current = new Float64Array(t.n);
  }

  pick(ctx: PickContext, attempt: number): number {
    const t = this.t;
    if (attempt > 0 && t.active > 1) {
      const a = t.active > 2 ? avoidFirst(ctx, attempt) : -1;
      return record(ctx, attempt, pickWeighted(t, Math.random(), a, avoidLast(ctx, attempt), -1));
    }
    const cycle = this.cycle;
    if (cycle === undefined) return record(ctx, attempt, step(t, this.current));
    if (cycle.length === 0) return record(ctx, attempt, -1);
    if (ctx.ticket !== undefined) return record(ctx, attempt, cycle[ctx.ticket % cycle.length]!);
    const i = cycle[this.cursor]!;
    this.cursor = this.cursor + 1 === cycle.length ? 0 : this.cursor + 1;
    return record(ctx, attempt, i);
  }
}

/**
 * A smooth weighted round-robin selector. `scheduleLimit` caps the precomputed cycle (tests pass 0
 * to force nginx's live loop and compare the two).
 */
export function buildSmoothWrr(backends: readonly BalanceBackend[], scheduleLimit = WRR_SCHEDULE_MAX): Selector {
  const t = weightTable(backends);
  return new SmoothWrr(t, schedule(t, scheduleLimit));
}
