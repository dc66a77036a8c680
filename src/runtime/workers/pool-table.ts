/**
 * Control part: a hashing pool's lookup table as the workers build it (GET /v1/pools/{name}/table),
 * from the same inputs: the served revision's pool narrowed by the health verdicts the workers
 * were given (in a cluster, the cluster's). Outlier ejections are each worker's own and left out,
 * as are slow-start ramps. Kept per pool until the pool object or the usable set changes.
 */
import type { SnapshotBackend, SnapshotPool } from "../../config/index.ts";
import { computeUsable } from "../../health/index.ts";
import { selectorFor } from "../pools/pool-runtime.ts";

export interface PoolTable {
  backends: readonly SnapshotBackend[];
  table?: Int32Array;
}

export class PoolTables {
  readonly #cache = new Map<string, { pool: SnapshotPool; key: string; table: PoolTable }>();

  /** `healthy` gives the verdict the workers hold (undefined: not checked, so up). */
  constructor(private readonly healthy: (pool: string, backend: string) => boolean | undefined) {}

  of(pool: SnapshotPool | undefined): PoolTable | undefined {
    if (!pool?.selector.table) return undefined;
    const live = pool.backends.map((b) => ({
      key: b.address,
      weight: b.weight,
      state: b.state,
      healthy: this.healthy(pool.name, b.address) ?? true,
      ejected: false,
      healthySinceMs: undefined,
    }));
    const usable = computeUsable(live, Date.now(), { panicThresholdPercent: pool.panicThreshold, slowStartMs: 0, slowStartMinShare: 0.1 });
    const key = usable.backends.map((u) => `${u.key}\u0000${u.weight}`).join("\u0001");
    const had = this.#cache.get(pool.name);
    if (had && had.pool === pool && had.key === key) return had.table;
    const byAddress = new Map(pool.backends.map((b) => [b.address, b] as const));
    const table = { backends: usable.backends.map((u) => byAddress.get(u.key)!), table: selectorFor(pool, usable.backends, false).table };
    this.#cache.set(pool.name, { pool, key, table });
    return table;
  }
}
