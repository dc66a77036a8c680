/**
 * @module Balancing: the Selector interface, every algorithm behind it, hash keys and sticky cookies.
 *
 * Data-plane use, per request (L7) or connection (L4), with `pool` from the current snapshot:
 *   const ctx = newPickContext(hashOn ? extractHashKey(hashOn, req) : undefined, liveLoad);
 *   // L4 may set ctx.hash to its flow hash instead of a key; keep ctx.loadTotal when you track it
 *   for (let attempt = 0; attempt <= retries; attempt++) { const i = pool.selector.pick(ctx, attempt); ... }
 * Sticky pools first try `stickyIndex(cookie, secret, now, index)` (index = backendIndex(usable))
 * and, on -1, pick and set `signSticky(usable[i].key, secret, now, ttlS)`.
 */
export * from "./selector.ts";
export { createSelector, effectiveHashOn } from "./create-selector.ts";
export { parseHashOn, formatHashOn, extractHashKey, type HashKeySource } from "./hash-on.ts";
export { hashKey, fmix32 } from "./key-hash.ts";
export type { HashTable, Gate } from "./hash-table.ts";
export { hashingSelector } from "./hashing-selector.ts";
export { boundedLoad, boundedCap } from "./bounded-load.ts";
export { buildMaglev, MAGLEV_DEFAULT_TABLE_SIZE } from "./maglev.ts";
export { buildRing, RING_DEFAULT_MIN_SIZE, RING_MAX_SIZE } from "./ring-hash.ts";
export { weightTable, type WeightTable } from "./weights.ts";
export { signSticky, verifySticky, backendIndex, stickyIndex, STICKY_MAX_LENGTH } from "./sticky.ts";
