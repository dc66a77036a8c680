/**
 * Live counts per client (and scope) for the whole node, e.g. connections open per client
 * address for a per-client cap: a KeyTable entry per client holds the node's count and each
 * worker's share of it, so `acquire` against a cap is exact across workers (under the entry's
 * lock) and a dead worker's share can be given back (`reclaim`). An entry whose count is 0 may be
 * reused for another client when its bucket is full; while every entry of a bucket is in use, a
 * new client cannot be tracked and `acquire` says so (the caller chooses to refuse or let it in).
 * An entry also holds its scope, so the node's distinct clients under one scope can be counted
 * (`distinct`, a sweep for /metrics) by any worker or the control part alike.
 */
import { keyHi, keyLo } from "./client-key.ts";
import { KeyTable, type KeyTableLayout } from "./key-table.ts";

/** Why `acquire` said no. */
export type AcquireResult = "ok" | "at_cap" | "table_full";

export class ClientCounts {
  readonly table: KeyTable;
  /** This thread's column (1 + worker); 0 for the control part. */
  readonly #own: number;

  private constructor(table: KeyTable, worker: number) {
    this.table = table;
    this.#own = worker < 0 ? 0 : worker + 1;
  }

  /** A table for `entries` clients across `workers` workers (`shared` false: one thread, private memory). */
  static create(entries: number, workers: number, shared = true): ClientCounts {
    // Per entry: the node's count, each worker's share, the scope.
    return new ClientCounts(KeyTable.create(entries, workers + 2, "idle", shared), shared ? -1 : 0);
  }

  /** Worker `worker` (0-based; -1 = control) attaches to a table `create` made. */
  static attach(layout: KeyTableLayout, worker: number): ClientCounts {
    return new ClientCounts(KeyTable.attach(layout), worker);
  }

  /** Takes one unit for `client` under `scope` if the node's count for it is below `cap`. */
  acquire(scope: number, client: string, cap: number, nowMs = Date.now()): AcquireResult {
    const t = this.table;
    const e = t.lock(keyHi(scope, client), keyLo(scope, client), nowMs);
    if (e < 0) return "table_full";
    const at = e * t.width;
    const v = t.values;
    if (v[at]! >= cap) {
      t.unlock(e);
      return "at_cap";
    }
    v[at]!++;
    if (this.#own > 0) v[at + this.#own]!++;
    v[at + t.width - 1] = scope;
    t.unlock(e);
    return "ok";
  }

  /**
   * Distinct clients with a count above 0 under `scope`, node-wide: a sweep of the whole table
   * without locks (a gauge read: an entry changing meanwhile is counted as it was or as it is).
   */
  distinct(scope: number): number {
    const t = this.table, v = t.values, w = t.width;
    let n = 0;
    for (let at = 0; at < v.length; at += w) if (v[at]! > 0 && v[at + w - 1] === scope) n++;
    return n;
  }

  /** Gives back a unit taken by `acquire` (ignored when this worker holds none for the client). */
  release(scope: number, client: string, nowMs = Date.now()): void {
    const t = this.table;
    const e = t.lock(keyHi(scope, client), keyLo(scope, client), nowMs, false);
    if (e < 0) return;
    const at = e * t.width;
    const v = t.values;
    if (this.#own === 0 || v[at + this.#own]! > 0) {
      if (this.#own > 0) v[at + this.#own]!--;
      if (v[at]! > 0) v[at]!--;
    }
    t.unlock(e);
  }

  /** The node's count for `client` under `scope` now (0 when untracked). */
  count(scope: number, client: string): number {
    const t = this.table;
    const e = t.lock(keyHi(scope, client), keyLo(scope, client), 0, false);
    if (e < 0) return 0;
    const n = t.values[e * t.width]!;
    t.unlock(e);
    return n;
  }

  /** Control part: worker `worker` is gone; takes its share out of every client's count. */
  reclaim(worker: number): void {
    const t = this.table;
    const col = worker + 1;
    for (let e = 0; e < t.size; e++) {
      const at = e * t.width;
      if (t.values[at + col] === 0) continue;
      t.lockAt(e);
      t.values[at] = Math.max(0, t.values[at]! - t.values[at + col]!);
      t.values[at + col] = 0;
      t.unlock(e);
    }
  }
}
