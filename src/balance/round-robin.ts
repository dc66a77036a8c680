/**
 * `round_robin`: every backend with weight > 0 in turn, weights otherwise ignored. The cursor
 * starts at a random backend so that workers (and nodes) rebuilt at the same moment do not all
 * send their first request to backend 0, as Envoy's round robin does. Given a ticket (the node's
 * shared sequence, PickContext.ticket), attempt 0 takes its place from it instead.
 */
import { avoidFirst, avoidLast, record } from "./attempts.ts";
import type { BalanceBackend, PickContext, Selector } from "./selector.ts";
import { weightTable } from "./weights.ts";

class RoundRobin implements Selector {
  readonly name = "round_robin";
  private readonly order: Int32Array;
  private cursor: number;

  constructor(order: Int32Array) {
    this.order = order;
    this.cursor = order.length > 0 ? Math.floor(Math.random() * order.length) : 0;
  }

  pick(ctx: PickContext, attempt: number): number {
    const order = this.order;
    const n = order.length;
    if (n === 0) return record(ctx, attempt, -1);
    if (attempt === 0 && ctx.ticket !== undefined) return record(ctx, attempt, order[ctx.ticket % n]!);
    // With two backends a retry alternates; with more it avoids attempt 0's and the previous pick.
    const a = n > 2 ? avoidFirst(ctx, attempt) : -1;
    const b = avoidLast(ctx, attempt);
    // At most three steps: the two avoided backends, then one that is neither.
    let i = order[this.cursor]!;
    for (let step = 0; step < 3; step++) {
      i = order[this.cursor]!;
      this.cursor = this.cursor + 1 === n ? 0 : this.cursor + 1;
      if ((i !== a && i !== b) || n === 1) break;
    }
    return record(ctx, attempt, i);
  }
}

/** A round-robin selector over the backends with weight > 0. */
export function buildRoundRobin(backends: readonly BalanceBackend[]): Selector {
  const t = weightTable(backends);
  const order = new Int32Array(t.active);
  let j = 0;
  for (let i = 0; i < t.n; i++) if (t.weights[i]! > 0) order[j++] = i;
  return new RoundRobin(order);
}
