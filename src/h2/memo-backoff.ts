/**
 * When a one-entry memo (forward-memo.ts, request-memo.ts) takes a new entry. A kept entry that
 * was never replayed before the next offer doubles the number of offers skipped before the next
 * keep (up to 64); a replayed one resets it. Traffic that repeats is kept at once; traffic that
 * never does costs a copy only now and then.
 */
export class MemoBackoff {
  /** The table version the kept entry was made against; -1: nothing kept. */
  version = -1;
  /** The kept entry was replayed since it was kept. */
  hit = false;
  private skip = 0;
  private backoff = 0;

  /** True when this offer is to be kept: the old entry is then dropped (version -1) for the caller to refill. */
  admit(): boolean {
    if (this.version >= 0 && !this.hit) this.backoff = Math.min(64, this.backoff * 2 + 1);
    else if (this.hit) this.backoff = 0;
    if (this.skip-- > 0) return false;
    this.skip = this.backoff;
    this.hit = false;
    this.version = -1;
    return true;
  }
}
