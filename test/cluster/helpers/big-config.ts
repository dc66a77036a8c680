/**
 * The large config: `pools` pools of `backendsPerPool` backends each (maglev with an http
 * health check), and 10 http listeners with 20 routes each, validated so every default is filled
 * (what the store really holds).
 */
import { validateConfig, type ConfigDoc } from "../../../src/config/index.ts";

export function bigConfig(pools = 1000, backendsPerPool = 10): ConfigDoc {
  const poolDocs = Array.from({ length: pools }, (_, p) => ({
    name: `pool-${p}`,
    algorithm: "maglev",
    hash_on: "source_ip",
    health_check: { type: "http", path: "/healthz", interval_ms: 2000, timeout_ms: 1000, healthy_threshold: 2, unhealthy_threshold: 3 },
    backends: Array.from({ length: backendsPerPool }, (_, b) => ({ address: `10.${(p >> 8) & 255}.${p & 255}.${b + 1}:8080`, weight: 1 + (b % 3) })),
  }));
  const listeners = Array.from({ length: 10 }, (_, l) => ({
    name: `web-${l}`,
    protocol: "http",
    address: `127.0.0.1:${20000 + l}`,
    pool: `pool-${l}`,
    routes: Array.from({ length: 20 }, (_, r) => ({ name: `r${r}`, match: { path_prefix: `/svc${r}` }, pool: `pool-${(l * 20 + r) % pools}` })),
  }));
  return validateConfig({ listeners, pools: poolDocs, certificates: [] });
}
