/**
 * Callers waiting for a revision to be reached (a mirror applying a write, every node applying a
 * config revision): each resolves true once reached() passes its revision, false at its timeout or
 * on cancelAll().
 */
export class RevisionWaiters {
  private waiters: { rev: number; done: (ok: boolean) => void }[] = [];

  /** Resolves true when `current` (now) or a later reached() is at least `revision`. */
  wait(revision: number, current: number, timeoutMs: number): Promise<boolean> {
    if (current >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        rev: revision,
        done: (ok: boolean) => {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => w.done(false), timeoutMs);
      this.waiters.push(w);
    });
  }

  /** `revision` was reached: every waiter at or below it resolves true. */
  reached(revision: number): void {
    for (const w of this.waiters.filter((x) => x.rev <= revision)) w.done(true);
  }

  /** Every waiter resolves false. */
  cancelAll(): void {
    for (const w of [...this.waiters]) w.done(false);
  }
}
