/**
 * An index over live load for least_connections, kept current by the data plane's change
 * notifications (Selector.loadChanged): a segment tree whose nodes hold the least load/weight
 * ratio below them and the total weight tied at it. A pick reads the root and walks down drawing
 * among the tied by weight; an update re-combines one leaf's path, stopping as soon as a node comes
 * out unchanged. Both O(log N), against the O(N) scan nginx's least_conn does on every pick
 * (HAProxy's leastconn keeps a tree for the same reason). Ratios are stored as load / weight:
 * equal fractions divide to the same double, so ties stay exact.
 */

export class LoadIndex {
  private readonly size: number;
  /** per node: the least ratio below it (Infinity = empty) and the weight tied at it */
  private readonly ratio: Float64Array;
  private readonly tied: Float64Array;

  /** `idx[j]` is the backend at leaf j and `w[j]` its weight (> 0). */
  constructor(
    private readonly idx: Int32Array,
    private readonly w: Float64Array,
  ) {
    let size = 1;
    while (size < idx.length) size <<= 1;
    this.size = size;
    this.ratio = new Float64Array(2 * size).fill(Infinity);
    this.tied = new Float64Array(2 * size);
  }

  /** Rebuilds every node from `load` (O(N)). */
  rebuild(load: ArrayLike<number>): void {
    for (let j = 0; j < this.idx.length; j++) {
      this.ratio[this.size + j] = load[this.idx[j]!]! / this.w[j]!;
      this.tied[this.size + j] = this.w[j]!;
    }
    for (let k = this.size - 1; k >= 1; k--) this.combine(k);
  }

  /** Leaf `j` (a position in idx) now has `load`: re-combines its path to the root. */
  update(j: number, load: number): void {
    let k = this.size + j;
    this.ratio[k] = load / this.w[j]!;
    for (k >>= 1; k >= 1; k >>= 1) {
      if (!this.combine(k)) return;
    }
  }

  /** A backend with the least load / weight, drawn among the tied by weight from `r` in [0, 1); -1 when empty. */
  pick(r: number): number {
    const ratio = this.ratio, tied = this.tied, size = this.size;
    const root = ratio[1]!;
    if (root === Infinity) return -1;
    let x = r * tied[1]!;
    let k = 1;
    while (k < size) {
      const left = 2 * k;
      if (ratio[left] !== root) k = left + 1;
      else if (ratio[left + 1] !== root || x < tied[left]!) k = left;
      else {
        x -= tied[left]!;
        k = left + 1;
      }
    }
    return this.idx[k - size]!;
  }

  /** Recomputes node k from its children; false when it came out unchanged (its ancestors are then current). */
  private combine(k: number): boolean {
    const ratio = this.ratio, tied = this.tied;
    const a = 2 * k, b = a + 1;
    const ra = ratio[a]!, rb = ratio[b]!;
    let r: number, t: number;
    if (ra < rb) {
      r = ra;
      t = tied[a]!;
    } else if (rb < ra) {
      r = rb;
      t = tied[b]!;
    } else {
      r = ra;
      t = tied[a]! + tied[b]!;
    }
    if (r === ratio[k] && t === tied[k]) return false;
    ratio[k] = r;
    tied[k] = t;
    return true;
  }
}
