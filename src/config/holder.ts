/** The one place the current Snapshot lives; publishing is a single reference swap. */
import type { Snapshot } from "./snapshot.ts";

/** Called when a subscriber throws; the default writes to stderr. */
export type SubscriberErrorHandler = (error: unknown, snapshot: Snapshot) => void;

/**
 * Derives the snapshot the node serves from the one compiled from the config: runtime state that
 * is not config (backends found in DNS) enters here. Returns its input when it has nothing to add.
 */
export type SnapshotOverlay = (compiled: Snapshot) => Snapshot;

/**
 * Holds the current Snapshot. The data plane calls `current()` once per connection or request and
 * keeps the result; `publish` swaps the reference, then tells subscribers in subscription order.
 * publish never throws: the config is already stored when it runs, so a failing subscriber is
 * reported to `onSubscriberError` and the others are still told.
 */
export class SnapshotHolder {
  #current: Snapshot | undefined;
  #compiled: Snapshot | undefined;
  #overlay: SnapshotOverlay | undefined;
  readonly #subscribers = new Set<(s: Snapshot) => void>();
  readonly #onError: SubscriberErrorHandler;
  readonly #onOverlayError: SubscriberErrorHandler;

  constructor(opts: { onSubscriberError?: SubscriberErrorHandler; onOverlayError?: SubscriberErrorHandler } = {}) {
    this.#onError =
      opts.onSubscriberError ??
      ((e, s) => console.error(`config: a snapshot subscriber failed on revision ${s.revision}:`, e));
    this.#onOverlayError =
      opts.onOverlayError ??
      ((e, s) => console.error(`config: the snapshot overlay failed on revision ${s.revision}; serving the config's own snapshot:`, e));
  }

  /** The latest published snapshot (the overlay applied); undefined before the first publish. */
  current(): Snapshot | undefined {
    return this.#current;
  }

  /** The latest snapshot as compiled from the config, before the overlay. */
  compiled(): Snapshot | undefined {
    return this.#compiled;
  }

  /** Makes `s` (through the overlay, if one is set) current, then calls every subscriber with it. */
  publish(s: Snapshot): void {
    this.#compiled = s;
    this.#swap(this.#derive(s));
  }

  /**
   * Sets (or with undefined, removes) the overlay and re-derives the current snapshot from the
   * last compiled one; subscribers are told when that changed it.
   */
  setOverlay(overlay: SnapshotOverlay | undefined): void {
    this.#overlay = overlay;
    this.refresh();
  }

  /** The overlay's input changed: re-derive from the last compiled snapshot; subscribers are told when it changed. */
  refresh(): void {
    if (this.#compiled === undefined) return;
    const next = this.#derive(this.#compiled);
    if (next !== this.#current) this.#swap(next);
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

  #derive(s: Snapshot): Snapshot {
    if (!this.#overlay) return s;
    try {
      return this.#overlay(s);
    } catch (e) {
      // The config's own snapshot is still a correct one to serve.
      this.#onOverlayError(e, s);
      return s;
    }
  }

  #swap(s: Snapshot): void {
    this.#current = s;
    for (const fn of [...this.#subscribers]) {
      try {
        fn(s);
      } catch (e) {
        this.#onError(e, s);
      }
    }
  }
}
