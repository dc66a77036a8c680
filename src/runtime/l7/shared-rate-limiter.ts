/**
 * A token-bucket rate limit kept for the whole node: every worker takes its clients' tokens from
 * one KeyTable in shared memory, under the bucket entry's lock, so a client limited to 100
 * requests a second gets 100 from the node, not 100 from each worker. The buckets of every limit
 * share the table; a limit's scope (its name and settings, hashed) keeps them apart, and a changed
 * limit starts afresh because its scope changes. A full table bucket reuses its least recently
 * used entry (a flood of spoofed addresses costs bounded memory, as RateLimiter's Map does).
 */
import { ALLOWED, denied, refill, type ClientLimiter, type RateLimitSpec, type RateVerdict } from "../../limits/index.ts";
import { keyHi, keyLo, scopeOf, type KeyTable } from "../shared/index.ts";

/** Values per entry: tokens, and when they were counted (ms). */
export const BUCKET_WIDTH = 2;

export class SharedRateLimiter implements ClientLimiter {
  readonly #scope: number;
  #denied = 0;

  constructor(
    private readonly table: KeyTable,
    name: string,
    readonly spec: RateLimitSpec,
  ) {
    this.#scope = scopeOf(`${name}|${spec.rate}|${spec.burst}`);
  }

  /** Requests this worker denied (the stats sum the workers). */
  get denied(): number {
    return this.#denied;
  }

  take(client: string, nowMs: number): RateVerdict {
    const t = this.table;
    const e = t.lock(keyHi(this.#scope, client), keyLo(this.#scope, client), nowMs);
    if (e < 0) return ALLOWED; // an "lru" table always has an entry to give
    const at = e * BUCKET_WIDTH;
    const v = t.values;
    const tokens = t.fresh ? this.spec.burst : refill(this.spec, v[at]!, v[at + 1]!, nowMs);
    v[at + 1] = nowMs;
    if (tokens >= 1) {
      v[at] = tokens - 1;
      t.unlock(e);
      return ALLOWED;
    }
    v[at] = tokens;
    t.unlock(e);
    this.#denied++;
    return denied(this.spec, tokens);
  }
}
