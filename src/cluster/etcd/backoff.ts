/**
 * Jittered exponential backoff: base 50 ms doubling to a cap (2 s by default, 2–5 s recommended by
 * ETCD-NOTES §6.2). Each delay is drawn between half and all of the current step, so nodes that lost
 * etcd at the same moment do not come back in lockstep.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

export class Backoff {
  private attempt = 0;
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 50;
    this.maxMs = opts.maxMs ?? 2000;
  }

  /** The next delay in ms (grows until `maxMs`). */
  next(): number {
    const step = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    return Math.round(step / 2 + Math.random() * (step / 2));
  }

  /** Back to the base delay after a success. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Sleeps `ms`, or less if `signal` aborts first (resolves either way, never throws). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
