/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018), wrapping any
 * HashTable as Envoy's BoundedLoadHashingLoadBalancer wraps Maglev or the ring. With the request
 * being placed counted, backend i may hold at most cap_i = max(1, ceil(factor × (total + 1) × w_i / W))
 * (HAProxy's chash_server_is_eligible, weighted); a backend already at its cap passes the request to
 * the next one along the table. The caps sum to at least total + 1, so someone always has room.
 * Without `ctx.load` the wrapped table answers alone.
 */
import { LbError } from "../errors.ts";
import { avoidFirst, avoidLast } from "./attempts.ts";
import { skipCount, walkFrom, type Gate, type HashTable } from "./hash-table.ts";
import { loadAt, type PickContext } from "./selector.ts";
import type { WeightTable } from "./weights.ts";

/** The largest load a backend of weight `w` may hold once the pick is counted (exported for tests and the admin view). */
export function boundedCap(factor: number, totalWithPick: number, w: number, totalWeight: number): number {
  return Math.max(1, Math.ceil((factor * totalWithPick * w) / totalWeight));
}

class LoadGate implements Gate {
  load: ArrayLike<number> = [];
  slots: Int32Array | undefined = undefined;
  totalWithPick = 0;
  private bestIndex = -1;
  private bestScore = Infinity;

  constructor(
    private readonly factor: number,
    private readonly t: WeightTable,
  ) {}

  reset(): void {
    this.bestIndex = -1;
    this.bestScore = Infinity;
  }

  admits(i: number): boolean {
    const cap = boundedCap(this.factor, this.totalWithPick, this.t.weights[i]!, this.t.total);
    const l = this.slots === undefined ? this.load[i]! : this.load[this.slots[i]!]!;
    if (l < cap) return true;
    // Envoy falls back to the least overloaded candidate when every one is full.
    const score = (l + 1) / cap;
    if (score < this.bestScore) {
      this.bestScore = score;
      this.bestIndex = i;
    }
    return false;
  }

  best(): number {
    return this.bestIndex;
  }
}

class BoundedLoad implements HashTable {
  private readonly gate: LoadGate;
  constructor(
    private readonly inner: HashTable,
    private readonly t: WeightTable,
    private readonly factor: number,
  ) {
    this.gate = new LoadGate(factor, t);
  }

  get slots(): Int32Array {
    return this.inner.slots;
  }

  get backends(): number {
    return this.inner.backends;
  }

  slotOf(hash: number): number {
    return this.inner.slotOf(hash);
  }

  lookup(hash: number, attempt: number, ctx: PickContext): number {
    const load = ctx.load;
    if (load === undefined || this.inner.slots.length === 0) return this.inner.lookup(hash, attempt, ctx);
    let total = ctx.loadTotal;
    if (total === undefined) {
      total = 0;
      for (let i = 0; i < this.t.n; i++) total += loadAt(ctx, i);
    }
    const start = this.inner.slotOf(hash);
    if (attempt === 0) {
      // the common case: the key's own backend has room
      const i = this.inner.slots[start]!;
      if (i >= 0 && loadAt(ctx, i) < boundedCap(this.factor, total + 1, this.t.weights[i]!, this.t.total)) return i;
    }
    const gate = this.gate;
    gate.load = load;
    gate.slots = ctx.loadSlots;
    gate.totalWithPick = total + 1;
    const n = this.inner.backends;
    return walkFrom(this.inner.slots, start, skipCount(attempt, n), n > 2 ? avoidFirst(ctx, attempt) : -1, avoidLast(ctx, attempt), gate);
  }
}

/** Wraps `table` with bounded load `factor` (>= 1, e.g. 1.25); CONFIG_INVALID otherwise. */
export function boundedLoad(table: HashTable, t: WeightTable, factor: number): HashTable {
  if (!Number.isFinite(factor) || factor < 1) {
    throw new LbError("CONFIG_INVALID", `hash_balance_factor must be a number >= 1, got ${factor}`);
  }
  return new BoundedLoad(table, t, factor);
}
