/** The one place the current Snapshot lives; publishing is a single reference swap. */
import type { Snapshot } from "./snapshot.ts";

/** Called when a subscriber throws; the default writes to stderr. */
export type SubscriberErrorHandler = (error: unknown, snapshot: Snapshot) => void;

/**
 * Holds the current Snapshot. The data plane calls `current()` once per connection or request and
 * keeps the result; `publish` swaps the reference, then tells subscribers in subscription order.
 * publish never throws: the config is already stored when it runs, so a failing subscriber is
 * reported to `onSubscriberError` and the others are still told.
 */
export class SnapshotHolder {
  #current: Snapshot | undefined;
  readonly #subscribers = new Set<(s: Snapshot) => void>();
  readonly #onError: SubscriberErrorHandler;

  constructor(opts: { onSubscriberError?: SubscriberErrorHandler } = {}) {
    this.#onError =
      opts.onSubscriberError ??
      ((e, s) => console.error(`config: a snapshot subscriber failed on revision ${s.revision}:`, e));
  }

  /** The latest published snapshot; undefined before the first publish. */
  current(): Snapshot | undefined {
    return this.#current;
  }

  /** Makes `s` current, then calls every subscriber with it. */
  publish(s: Snapshot): void {
    this.#current = s;
    for (const fn of [...this.#subscribers]) {
      try {
        fn(s);
      } catch (e) {
        this.#onError(e, s);
      }
    }
  }

  /** Calls `fn` on every later publish (not with the current one); returns the unsubscribe function. */
  subscribe(fn: (s: Snapshot) => void): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const own = (s: Snapshot) => fn(s);
    this.#subscribers.add(own);
    return () => {
      this.#subscribers.delete(own);
    };
  }
}
