/**
 * Cross-field checks for pools (options that only some algorithms use, backend addresses unique
 * within the pool, health check timing) and certificate names.
 */
import type { Problem } from "./problems.ts";
import type { ConfigDoc, Pool } from "./schema.ts";
import { BOUNDED_LOAD_ALGORITHMS, HASH_ON_ALGORITHMS, TABLE_ALGORITHMS } from "./schema-pool.ts";
import { checkCaBundle } from "./certificates.ts";
import { checkUnique } from "./validate-listeners.ts";

/** Checks every pool and certificate name of a schema-valid document; appends to `out`. */
export function checkPools(doc: ConfigDoc, out: Problem[]): void {
  checkUnique(doc.pools.map((p) => p.name), "pool name", (i) => `pools[${i}].name`, out);
  checkUnique(doc.certificates.map((c) => c.name), "certificate name", (i) => `certificates[${i}].name`, out);
  doc.pools.forEach((p, i) => checkPool(p, `pools[${i}]`, out));
}

function checkPool(p: Pool, at: string, out: Problem[]): void {
  if (p.tls?.ca_pem !== undefined) checkCaBundle(p.tls.ca_pem, `${at}.tls.ca_pem`, out);
  const only = (field: string, algorithms: readonly string[]) =>
    out.push({ path: `${at}.${field}`, message: `only for ${algorithms.join(", ")} (algorithm is ${p.algorithm})` });
  if (p.hash_on !== undefined && !HASH_ON_ALGORITHMS.includes(p.algorithm)) only("hash_on", HASH_ON_ALGORITHMS);
  if (p.table_size !== undefined && !TABLE_ALGORITHMS.includes(p.algorithm)) only("table_size", TABLE_ALGORITHMS);
  if (p.ring_min_size !== undefined && p.algorithm !== "ring_hash") only("ring_min_size", ["ring_hash"]);
  if (p.hash_balance_factor !== undefined && !BOUNDED_LOAD_ALGORITHMS.includes(p.algorithm))
    only("hash_balance_factor", BOUNDED_LOAD_ALGORITHMS);
  checkUnique(
    p.backends.map((b) => b.address.toLowerCase()),
    "backend address",
    (k) => `${at}.backends[${k}].address`,
    out,
  );
  const h = p.health_check;
  if (h && h.timeout_ms > h.interval_ms)
    out.push({ path: `${at}.health_check.timeout_ms`, message: `must not exceed interval_ms (${h.interval_ms})` });
  if (h && h.type !== "http" && (h.path !== undefined || h.expected_status !== undefined || (h.host !== undefined && h.type !== "grpc")))
    out.push({ path: `${at}.health_check.type`, message: "path, host and expected_status need type http" });
  if (h && h.type !== "grpc" && h.service !== undefined) out.push({ path: `${at}.health_check.service`, message: "only for type grpc" });
  const protocol = p.protocol ?? "http1";
  if (h?.type === "grpc" && protocol === "http1")
    out.push({ path: `${at}.health_check.type`, message: "grpc checks need the pool to speak HTTP/2 (protocol h2 or h2c)" });
  if (protocol === "h2c" && p.tls !== undefined)
    out.push({ path: `${at}.tls`, message: "h2c is HTTP/2 without TLS: use protocol h2 for HTTP/2 over TLS" });
  if (protocol !== "http1" && h !== undefined && (h.type === "tls" || (h.type === "tcp" && h.send !== undefined)))
    out.push({ path: `${at}.health_check.type`, message: `an ${protocol} pool is checked with type http, grpc or tcp (without send)` });
}
