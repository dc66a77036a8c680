/**
 * A worker's active-check verdicts, relayed from its node's control part, which alone runs the
 * checks (one probe per backend per node, not per worker). It reconciles each pool exactly as
 * the checker does (a new backend starts at the spec's initial state; a changed check keeps what
 * is known), so before any verdict arrives it already agrees with the control part's checker, and
 * verdicts arrive after the config they are about (one ordered channel). Drop-in for the pool
 * registry's checker (ActiveHealthChecker).
 */
import type { ActiveHealthChecker, BackendHealthView, CheckSpec, OnFlip } from "../../health/index.ts";
import type { FlipRecord } from "./protocol.ts";

interface RelayedPool {
  specKey: string;
  backends: Map<string, boolean>;
}

export class RelayedHealth implements ActiveHealthChecker {
  readonly #pools = new Map<string, RelayedPool>();

  constructor(
    private readonly onFlip: OnFlip,
    private readonly onPass?: (pool: string, backend: string) => void,
  ) {}

  setPool(pool: string, spec: CheckSpec | undefined, backends: readonly string[]): void {
    const specKey = JSON.stringify(spec ?? null);
    let entry = this.#pools.get(pool);
    let known: Map<string, boolean> | undefined;
    if (entry && (spec === undefined || entry.specKey !== specKey)) {
      known = entry.backends;
      this.#pools.delete(pool);
      entry = undefined;
    }
    if (spec === undefined) return;
    if (!entry) {
      entry = { specKey, backends: new Map() };
      this.#pools.set(pool, entry);
    }
    const wanted = new Set(backends);
    for (const key of entry.backends.keys()) if (!wanted.has(key)) entry.backends.delete(key);
    for (const key of wanted) {
      if (!entry.backends.has(key)) entry.backends.set(key, known?.get(key) ?? spec.initial === "optimistic");
    }
  }

  removePool(pool: string): void {
    this.#pools.delete(pool);
  }

  healthy(pool: string, backend: string): boolean | undefined {
    return this.#pools.get(pool)?.backends.get(backend);
  }

  /** The control part answers the status view; a worker keeps verdicts only. */
  view(): BackendHealthView[] {
    return [];
  }

  stop(): void {
    this.#pools.clear();
  }

  /** Verdicts from the control part, in the order they changed there. */
  apply(flips: readonly FlipRecord[]): void {
    for (const [pool, backend, healthy, reason] of flips) {
      const backends = this.#pools.get(pool)?.backends;
      if (!backends?.has(backend) || backends.get(backend) === healthy) continue;
      backends.set(backend, healthy);
      this.onFlip(pool, backend, healthy, reason);
    }
  }

  /** Backends that passed a check, per pool. */
  passed(passes: readonly [string, readonly string[]][]): void {
    if (!this.onPass) return;
    for (const [pool, backends] of passes) for (const b of backends) if (this.#pools.get(pool)?.backends.has(b)) this.onPass(pool, b);
  }
}
