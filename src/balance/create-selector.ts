/**
 * The one place an algorithm name becomes a selector (STYLE.md §7.1: implementations picked at
 * the root). Config compile calls it off the hot path for every pool and every health change.
 */
import { LbError } from "../errors.ts";
import { boundedLoad } from "./bounded-load.ts";
import type { HashTable } from "./hash-table.ts";
import { hashingSelector } from "./hashing-selector.ts";
import { buildLeastConnections } from "./least-connections.ts";
import { buildMaglev } from "./maglev.ts";
import { buildPowerOfTwo } from "./power-of-two.ts";
import { buildRandom } from "./random.ts";
import { buildRing } from "./ring-hash.ts";
import { buildRoundRobin } from "./round-robin.ts";
import { ALGORITHMS, HASHING_ALGORITHMS, type BalanceBackend, type HashOn, type PoolLbOptions, type Selector } from "./selector.ts";
import { buildSmoothWrr } from "./smooth-wrr.ts";
import { weightTable } from "./weights.ts";

/**
 * A selector for `backends` (the pool's usable ones, in a fixed order: pick returns indices into
 * it) under `opts`. Throws LbError CONFIG_INVALID for an unknown algorithm, bad weights, duplicate
 * keys or options that do not apply; MAGLEV_TABLE_SIZE for a non-prime or out-of-range table size.
 */
export function createSelector(backends: readonly BalanceBackend[], opts: PoolLbOptions): Selector {
  const algorithm = opts.algorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new LbError("CONFIG_INVALID", `unknown algorithm ${JSON.stringify(algorithm)}`);
  const hashing = HASHING_ALGORITHMS.has(algorithm);
  if (!hashing && opts.hashBalanceFactor !== undefined) {
    throw new LbError("CONFIG_INVALID", `hash_balance_factor applies only to hashing pools, not ${algorithm}`);
  }
  if (algorithm === "source_ip_hash" && opts.hashOn !== undefined && opts.hashOn.kind !== "source_ip") {
    throw new LbError("CONFIG_INVALID", `source_ip_hash hashes on source_ip, not ${opts.hashOn.kind}`);
  }
  switch (algorithm) {
    case "round_robin":
      return buildRoundRobin(backends);
    case "weighted_round_robin":
      return buildSmoothWrr(backends);
    case "least_connections":
      return buildLeastConnections(backends);
    case "power_of_two":
      return buildPowerOfTwo(backends);
    case "random":
      return buildRandom(backends);
  }
  const t = weightTable(backends);
  let table: HashTable = algorithm === "ring_hash" ? buildRing(backends, opts.ringMinSize) : buildMaglev(backends, opts.tableSize);
  if (opts.hashBalanceFactor !== undefined) table = boundedLoad(table, t, opts.hashBalanceFactor);
  return hashingSelector(algorithm, table, t);
}

/** What the data plane should extract for a pool: its hash_on (source_ip when a hashing pool names none), undefined for non-hashing pools. */
export function effectiveHashOn(opts: PoolLbOptions): HashOn | undefined {
  if (!HASHING_ALGORITHMS.has(opts.algorithm)) return undefined;
  if (opts.algorithm === "source_ip_hash") return { kind: "source_ip" };
  return opts.hashOn ?? { kind: "source_ip" };
}
