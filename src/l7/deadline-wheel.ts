/**
 * A timer wheel of connections by deadline, so a listener's sweep looks only at the connections
 * whose time has come instead of walking every one 4×/s (100,000 idle keep-alive connections were
 * a 100,000-item walk per tick). Slots are one sweep tick wide; a slot holds an intrusive list
 * (links live on the items: filing allocates nothing).
 *
 * Filing is lazy in one direction: a deadline pushed later (activity, the next request) leaves the
 * item where it is, and the sweep that reaches that slot re-files it at its current deadline; only
 * a deadline brought earlier moves it. So a busy keep-alive connection costs one comparison per
 * deadline change and about one visit per idle timeout. Deadlines beyond the wheel's horizon are
 * filed at the horizon and re-filed when reached.
 *
 * An item filed for `at` is visited by the first sweep at or after the start of `at`'s slot; the
 * visitor checks its own deadlines (`now > deadline`) and re-files what is not yet due, which
 * lands in the next slot: a deadline fires on the first sweep after it, as a full walk would.
 */

/** The links the wheel keeps on each item. `wheelSlot`: absolute slot, 0 = not filed, -1 = retired. */
export interface Wheeled {
  wheelSlot: number;
  wheelPrev: Wheeled | null;
  wheelNext: Wheeled | null;
}

export class DeadlineWheel<T extends Wheeled> {
  private readonly heads: (T | null)[];
  private readonly mask: number;
  /** The last slot swept (absolute: ms / tickMs). */
  private swept: number;
  /** Items visited by sweeps so far (what a sweep costs, counted for tests and benches). */
  visits = 0;

  /** `size` slots (a power of two) of `tickMs` each; `now` is where the first sweep starts. */
  constructor(readonly tickMs: number, now: number, size = 4096) {
    this.heads = new Array<T | null>(size).fill(null);
    this.mask = size - 1;
    this.swept = Math.floor(now / tickMs);
  }

  /** Makes sure `item` is visited by the first sweep at or after `at` (ms); 0 = no deadline. */
  file(item: T, at: number): void {
    if (item.wheelSlot < 0 || at === 0) return;
    let slot = Math.floor(at / this.tickMs);
    if (slot <= this.swept) slot = this.swept + 1;
    else if (slot > this.swept + this.mask) slot = this.swept + this.mask;
    if (item.wheelSlot !== 0) {
      if (item.wheelSlot <= slot) return; // visited earlier anyway, re-filed then
      this.unlink(item);
    }
    const i = slot & this.mask;
    const head = this.heads[i]!;
    item.wheelSlot = slot;
    item.wheelPrev = null;
    item.wheelNext = head;
    if (head !== null) head.wheelPrev = item;
    this.heads[i] = item;
  }

  /** Takes `item` out for good (its connection closed): later `file` calls ignore it. */
  retire(item: T): void {
    if (item.wheelSlot > 0) this.unlink(item);
    item.wheelSlot = -1;
  }

  /**
   * Visits every item filed in a slot that began by `now`, each taken out first: `visit` re-files
   * what lives on (into a later slot, so a sweep ends).
   */
  sweep(now: number, visit: (item: T) => void): void {
    const last = Math.floor(now / this.tickMs);
    while (this.swept < last) {
      const i = ++this.swept & this.mask;
      for (let item = this.heads[i]!; item !== null; item = this.heads[i]!) {
        this.unlink(item);
        this.visits++;
        visit(item);
      }
    }
  }

  private unlink(item: T): void {
    const prev = item.wheelPrev as T | null, next = item.wheelNext as T | null;
    if (prev !== null) prev.wheelNext = next;
    else this.heads[item.wheelSlot & this.mask] = next;
    if (next !== null) next.wheelPrev = prev;
    item.wheelPrev = item.wheelNext = null;
    item.wheelSlot = 0;
  }
}
