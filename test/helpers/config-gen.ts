/**
 * A seeded generator of random VALID config documents (input form: defaults sometimes left out),
 * for round-trip and property tests of the store, applyConfig and the admin API. Same seed, same
 * document. Certificates use the fixed test pairs in test/config/fixtures.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigDocInput } from "../../src/config/index.ts";
export { mulberry32 } from "./rng.ts";
import { mulberry32 } from "./rng.ts";

const FIXTURES = join(import.meta.dir, "..", "config", "fixtures");

/** Two self-signed P-256 pairs (CN a.test / b.test, SAN localhost and 127.0.0.1), valid for 100 years. */
export const TEST_CERTS = {
  a: { cert: readFileSync(join(FIXTURES, "a.cert.pem"), "utf8"), key: readFileSync(join(FIXTURES, "a.key.pem"), "utf8") },
  b: { cert: readFileSync(join(FIXTURES, "b.cert.pem"), "utf8"), key: readFileSync(join(FIXTURES, "b.key.pem"), "utf8") },
};


type Rng = () => number;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const maybe = (r: Rng, p = 0.5) => r() < p;

const ALGS = ["round_robin", "weighted_round_robin", "least_connections", "power_of_two", "random", "maglev", "ring_hash", "source_ip_hash"] as const;
const PRIMES = [251, 1021, 4099, 65537];
const HASH_ON = ["source_ip", "five_tuple", "header:x-user", "cookie:sid", "query:u"];

function genPool(r: Rng, name: string): Record<string, unknown> {
  const algorithm = pick(r, ALGS);
  const p: Record<string, unknown> = { name };
  if (algorithm !== "round_robin" || maybe(r)) p.algorithm = algorithm;
  if ((algorithm === "maglev" || algorithm === "ring_hash") && maybe(r)) p.hash_on = pick(r, HASH_ON);
  if ((algorithm === "maglev" || algorithm === "source_ip_hash") && maybe(r)) p.table_size = pick(r, PRIMES);
  if (algorithm === "ring_hash" && maybe(r)) p.ring_min_size = pick(r, [64, 1024]);
  if (["maglev", "ring_hash", "source_ip_hash"].includes(algorithm) && maybe(r, 0.3)) p.hash_balance_factor = pick(r, [1.25, 1.5, 2]);
  if (maybe(r, 0.3)) p.sticky = { cookie: `fc_${name}`, secret: "s".repeat(32) + name, ...(maybe(r) ? { ttl_s: 60 } : {}) };
  if (maybe(r, 0.4)) {
    const type = pick(r, ["http", "tcp", "tls"] as const);
    p.health_check = { type, interval_ms: 2000, ...(maybe(r) ? { timeout_ms: 500 } : {}), ...(type === "http" && maybe(r) ? { path: "/healthz" } : {}) };
  }
  if (maybe(r, 0.3)) p.connect_timeout_ms = int(r, 100, 10000);
  const n = int(r, 0, 6);
  const backends: Record<string, unknown>[] = [];
  for (let k = 0; k < n; k++) {
    const b: Record<string, unknown> = { address: k % 3 === 2 ? `[fd00::${k + 1}]:${8000 + k}` : `10.${int(r, 0, 255)}.0.${k + 1}:${8000 + k}` };
    if (maybe(r)) b.weight = int(r, 0, 1000);
    if (maybe(r, 0.3)) b.state = pick(r, ["active", "draining", "disabled"]);
    backends.push(b);
  }
  if (n > 0 || maybe(r)) p.backends = backends;
  return p;
}

function genRoute(r: Rng, name: string, pools: string[], listenerHasPool: boolean): Record<string, unknown> {
  const route: Record<string, unknown> = { name };
  const match: Record<string, unknown> = {};
  if (maybe(r)) match.host = pick(r, ["api.example.com", "*.example.org", "Shop.Example.com"]);
  const pathKind = int(r, 0, 3);
  if (pathKind === 1) match.path = `/${name}`;
  if (pathKind === 2) match.path_prefix = `/${name}/`;
  if (pathKind === 3) match.path_regex = `^/${name}/[0-9]+$`;
  if (maybe(r, 0.3)) match.methods = pick(r, [["GET"], ["get", "POST"]]);
  if (maybe(r, 0.3)) match.headers = { "x-canary": "1" };
  if (maybe(r, 0.2)) match.query = { v: "2" };
  if (Object.keys(match).length > 0) route.match = match;
  if (maybe(r, 0.15)) {
    route.redirect = { scheme: "https", ...(maybe(r) ? { status: 301 } : {}) };
    return route;
  }
  if (!listenerHasPool || maybe(r)) route.pool = pick(r, pools);
  if (pathKind === 2 && maybe(r)) route.rewrite = { path_prefix: "/" };
  if (maybe(r, 0.3)) route.retries = { attempts: int(r, 0, 3), ...(maybe(r) ? { on: ["connect_failure", 502, "503"] } : {}) };
  if (maybe(r, 0.3)) route.timeout_ms = int(r, 100, 60000);
  if (maybe(r, 0.2)) route.request_headers = { set: { "x-via": "fulcrum" }, remove: ["x-secret"] };
  if (maybe(r, 0.2)) route.response_headers = { add: { "x-served-by": name } };
  return route;
}

function genListener(r: Rng, name: string, port: number, pools: string[], certs: string[]): Record<string, unknown> {
  const protocols = certs.length > 0 ? ["http", "https", "tcp", "udp", "tls_passthrough"] : ["http", "tcp", "udp", "tls_passthrough"];
  const protocol = pick(r, protocols);
  const l: Record<string, unknown> = { name, protocol, address: maybe(r, 0.8) ? `127.0.0.1:${port}` : `[::1]:${port}` };
  const http = protocol === "http" || protocol === "https";
  const hasPool = !http || maybe(r, 0.7);
  if (hasPool) l.pool = pick(r, pools);
  if (http && (!hasPool || maybe(r))) {
    l.routes = Array.from({ length: int(r, 1, 4) }, (_, k) => genRoute(r, `r${k}`, pools, hasPool));
  }
  if (protocol === "https") l.tls = { certificates: certs.slice(0, int(r, 1, certs.length)) };
  if (protocol === "tls_passthrough" && maybe(r)) l.sni = [{ names: ["a.example.com", "*.b.example.com"], pool: pick(r, pools) }];
  // PROXY: accepted by every listener but udp; sent only by tcp and tls_passthrough (http says X-Forwarded-For)
  if (protocol !== "udp" && maybe(r, 0.2)) l.proxy_protocol = { accept_from: ["10.0.0.0/8", "::1"], ...(!http && maybe(r) ? { send: "v1" } : {}) };
  if (maybe(r, 0.2)) l.max_connections = int(r, 1, 100000);
  if (maybe(r, 0.2)) l.idle_timeout_ms = int(r, 1000, 600000);
  if (http && maybe(r, 0.2)) l.max_body_bytes = int(r, 0, 1 << 24);
  if (http && maybe(r, 0.2)) l.trusted_proxies = ["127.0.0.1/32"];
  return l;
}

/** A random valid document for `seed`; with `certificates: false` no certificates (and no https). */
export function genConfig(seed: number, opts: { certificates?: boolean } = {}): ConfigDocInput {
  const r = mulberry32(seed);
  const poolNames = Array.from({ length: int(r, 1, 4) }, (_, i) => `pool-${i}`);
  const pools = poolNames.map((n) => genPool(r, n));
  const certificates = (opts.certificates ?? true) && maybe(r, 0.6) ? [{ name: "site-a", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }] : [];
  if (certificates.length > 0 && maybe(r)) certificates.push({ name: "site-b", cert_pem: TEST_CERTS.b.cert, key_pem: TEST_CERTS.b.key });
  const certNames = certificates.map((c) => c.name);
  const base = 20000 + int(r, 0, 1000) * 10;
  const listeners = Array.from({ length: int(r, 0, 4) }, (_, i) => genListener(r, `l${i}`, base + i, poolNames, certNames));
  return { listeners, pools, certificates } as unknown as ConfigDocInput;
}
