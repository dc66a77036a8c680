import { describe, expect, test } from "bun:test";
import { compileSnapshot, parseConfigText, validateConfig } from "../../src/config/index.ts";
import { genConfig, TEST_CERTS } from "../helpers/config-gen.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

const pool = (extra: object = {}) => ({ name: "app", backends: [{ address: "10.0.0.1:80" }], ...extra });
const http = (extra: object = {}) => ({ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", ...extra });
const invalidPaths = (doc: unknown) => problemPaths(expectLbError(() => validateConfig(doc), "CONFIG_INVALID"));

describe("validateConfig accepts", () => {
  test("the DESIGN.md example and fills defaults", () => {
    const doc = validateConfig(
      parseConfigText(`
listeners:
  - name: web
    protocol: https
    address: 0.0.0.0:8080
    pool: app
    routes:
      - name: api
        match: { host: api.example.com, path_prefix: /v1, methods: [GET, post], headers: { x-canary: "1" } }
        pool: api
        rewrite: { path_prefix: / }
        retries: { attempts: 2, on: [connect_failure, reset, "502", 503] }
        timeout_ms: 15000
    tls: { certificates: [site] }
    proxy_protocol: { accept_from: [10.0.0.0/8], send: none }
  - name: edge
    protocol: tls_passthrough
    address: "[::]:443"
    pool: app
    sni: [{ names: [a.example.com, "*.b.example.com"], pool: app }]
pools:
  - name: app
    algorithm: maglev
    hash_on: source_ip
    sticky: { cookie: fulcrum_app, ttl_s: 3600, secret: "0123456789abcdef0123456789abcdef" }
    health_check: { type: http, path: /healthz, interval_ms: 2000, timeout_ms: 1000, healthy_threshold: 2, unhealthy_threshold: 3 }
    backends:
      - { address: 10.0.0.1:80, weight: 1, state: active }
  - name: api
    backends: [{ address: "backend.internal:9000" }]
certificates:
  - { name: site, cert_pem: ${JSON.stringify(TEST_CERTS.a.cert)}, key_pem: ${JSON.stringify(TEST_CERTS.a.key)} }
`),
    );
    expect(doc.pools[0]!.table_size).toBe(65537);
    expect(doc.pools[1]!.algorithm).toBe("round_robin");
    expect(doc.pools[1]!.backends[0]).toEqual({ address: "backend.internal:9000", weight: 1, state: "active" });
    expect(doc.listeners[0]!.routes[0]!.match!.methods).toEqual(["GET", "POST"]);
    expect(doc.listeners[0]!.routes[0]!.retries!.on).toEqual(["connect_failure", "reset", "502", "503"]);
    expect(doc.listeners[1]!.routes).toEqual([]);
  });

  test("an empty document", () => {
    expect(validateConfig({})).toEqual({ listeners: [], pools: [], certificates: [] });
  });

  test("a validated document again, unchanged (defaults are idempotent)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const once = validateConfig(genConfig(seed));
      expect(validateConfig(structuredClone(once))).toEqual(once);
    }
  });

  test("algorithm-specific defaults only where they apply", () => {
    const doc = validateConfig({ pools: [{ name: "r", algorithm: "ring_hash" }, { name: "s", algorithm: "source_ip_hash" }, { name: "w", algorithm: "random" }] });
    expect(doc.pools[0]).toMatchObject({ hash_on: "source_ip", ring_min_size: 1024 });
    expect(doc.pools[0]!.table_size).toBeUndefined();
    expect(doc.pools[1]).toMatchObject({ table_size: 65537 });
    expect(doc.pools[1]!.hash_on).toBeUndefined();
    expect(Object.keys(doc.pools[2]!).sort()).toEqual(["algorithm", "backends", "name"]);
  });
});

describe("validateConfig refuses, naming every path", () => {
  test("a non-prime or too large table size", () => {
    expect(invalidPaths({ pools: [pool({ algorithm: "maglev", table_size: 65536 })] })).toEqual(["pools[0].table_size"]);
    expect(invalidPaths({ pools: [pool({ algorithm: "maglev", table_size: 5_000_077 })] })).toEqual(["pools[0].table_size"]);
  });

  test("an unknown field, at its own path", () => {
    expect(invalidPaths({ pools: [pool({ tabel_size: 1 })], listners: [] })).toEqual(["listners", "pools[0].tabel_size"]);
  });

  test("references that do not resolve", () => {
    const doc = {
      listeners: [
        http({ pool: "nope", routes: [{ name: "a", pool: "gone" }] }),
        { name: "s", protocol: "https", address: "127.0.0.1:443", pool: "app", tls: { certificates: ["missing"] } },
        { name: "t", protocol: "tls_passthrough", address: "127.0.0.1:444", sni: [{ names: ["x.test"], pool: "ghost" }] },
      ],
      pools: [pool()],
    };
    expect(invalidPaths(doc)).toEqual([
      "listeners[0].pool",
      "listeners[0].routes[0].pool",
      "listeners[1].tls.certificates[0]",
      "listeners[2].sni[0].pool",
    ]);
  });

  test("duplicate names and addresses", () => {
    const doc = {
      listeners: [http({ routes: [{ name: "r" }, { name: "r" }] }), http({ address: "127.0.0.1:8081" }), http({ name: "b" })],
      pools: [pool({ backends: [{ address: "10.0.0.1:80" }, { address: "10.0.0.1:80" }] }), pool()],
      certificates: [
        { name: "c", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key },
        { name: "c", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key },
      ],
    };
    expect(invalidPaths(doc)).toEqual([
      "certificates[1].name",
      "listeners[0].routes[1].name",
      "listeners[1].name",
      "listeners[2].address",
      "pools[0].backends[1].address",
      "pools[1].name",
    ]);
  });

  test("addresses and CIDRs that do not parse", () => {
    const bad = ["10.0.0.1", "::1:80", "[::1]80", "10.0.0.1:70000", "10.0.0.1:0", "bad..host:80", "bad%host:80", "10.0.0.1:http"];
    for (const address of bad) expect(invalidPaths({ pools: [pool({ backends: [{ address }] })] })).toEqual(["pools[0].backends[0].address"]);
    expect(invalidPaths({ listeners: [http({ proxy_protocol: { accept_from: ["10.0.0.0/33"] }, trusted_proxies: ["nope"] })], pools: [pool()] })).toEqual([
      "listeners[0].proxy_protocol.accept_from[0]",
      "listeners[0].trusted_proxies[0]",
    ]);
  });

  test("protocol rules: https without tls, sni off passthrough, tcp/udp without pool, routes off http", () => {
    const doc = {
      listeners: [
        { name: "a", protocol: "https", address: "127.0.0.1:1", pool: "app" },
        http({ name: "b", address: "127.0.0.1:2", sni: [{ names: ["x.test"], pool: "app" }] }),
        { name: "c", protocol: "tcp", address: "127.0.0.1:3" },
        { name: "d", protocol: "udp", address: "127.0.0.1:4" },
        { name: "e", protocol: "tcp", address: "127.0.0.1:5", pool: "app", routes: [{ name: "r" }] },
        { name: "f", protocol: "tls_passthrough", address: "127.0.0.1:6" },
        { name: "g", protocol: "http", address: "127.0.0.1:7" },
      ],
      pools: [pool()],
    };
    expect(invalidPaths(doc)).toEqual([
      "listeners[0].tls",
      "listeners[1].sni",
      "listeners[2].pool",
      "listeners[3].pool",
      "listeners[4].routes",
      "listeners[5].pool",
      "listeners[6].pool",
    ]);
  });

  test("settings a listener would silently ignore: PROXY on udp, PROXY send on http, rate_limit on L4", () => {
    const doc = {
      listeners: [
        { name: "u", protocol: "udp", address: "127.0.0.1:1", pool: "app", proxy_protocol: { send: "v2", accept_from: ["10.0.0.0/8"] } },
        http({ name: "h", address: "127.0.0.1:2", proxy_protocol: { send: "v1", accept_from: ["10.0.0.0/8"] } }),
        { name: "t", protocol: "tcp", address: "127.0.0.1:3", pool: "app", rate_limit: { rps: 5 }, proxy_protocol: { send: "v2" } },
      ],
      pools: [pool()],
    };
    expect(invalidPaths(doc)).toEqual([
      "listeners[0].proxy_protocol.accept_from",
      "listeners[0].proxy_protocol.send",
      "listeners[1].proxy_protocol.send",
      "listeners[2].rate_limit",
    ]);
  });

  test("an upstream TLS ca_pem that is not a parseable certificate bundle", () => {
    const garbled = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    expect(invalidPaths({ pools: [pool({ tls: { ca_pem: garbled } })] })).toEqual(["pools[0].tls.ca_pem"]);
    expect(invalidPaths({ pools: [pool({ tls: { ca_pem: "-----BEGIN CERTIFICATE----- cut short" } })] })).toEqual(["pools[0].tls.ca_pem"]);
    expect(validateConfig({ pools: [pool({ tls: { ca_pem: TEST_CERTS.a.cert + TEST_CERTS.b.cert } })] }).pools[0]!.tls!.verify).toBe(true);
  });

  test("udp listeners idle out after 30 s by default, the others after 60 s", () => {
    const snap = compileSnapshot(validateConfig({
      listeners: [
        { name: "u", protocol: "udp", address: "127.0.0.1:1", pool: "app" },
        { name: "t", protocol: "tcp", address: "127.0.0.1:2", pool: "app" },
        { name: "u2", protocol: "udp", address: "127.0.0.1:3", pool: "app", idle_timeout_ms: 5000 },
      ],
      pools: [pool()],
    }), 1);
    expect(snap.listeners.map((l) => l.idleTimeoutMs)).toEqual([30_000, 60_000, 5000]);
  });

  test("a route needs a pool, its own or the listener's, unless it redirects", () => {
    const doc = { listeners: [{ name: "w", protocol: "http", address: "127.0.0.1:1", routes: [{ name: "r", match: { path: "/x" } }, { name: "ok", redirect: { scheme: "https" } }] }], pools: [pool()] };
    expect(invalidPaths(doc)).toEqual(["listeners[0].routes[0].pool"]);
    const loop = { listeners: [http({ routes: [{ name: "r", redirect: {} }] })], pools: [pool()] };
    expect(invalidPaths(loop)).toEqual(["listeners[0].routes[0].redirect"]);
  });

  test("an invalid regex, a short sticky secret, options for another algorithm", () => {
    const doc = {
      listeners: [http({ routes: [{ name: "r", match: { path_regex: "([a-z" } }] })],
      pools: [pool({ algorithm: "round_robin", sticky: { cookie: "s", secret: "too short" }, hash_on: "source_ip", ring_min_size: 64 })],
    };
    expect(invalidPaths(doc)).toEqual(["listeners[0].routes[0].match.path_regex", "pools[0].sticky.secret"]);
    expect(invalidPaths({ pools: [pool({ hash_on: "header:x-user", ring_min_size: 64, table_size: 251, hash_balance_factor: 1.5 })] })).toEqual([
      "pools[0].hash_balance_factor",
      "pools[0].hash_on",
      "pools[0].ring_min_size",
      "pools[0].table_size",
    ]);
  });

  test("defaults that no longer apply after an algorithm change are dropped, not refused", () => {
    const doc = validateConfig({ pools: [pool({ algorithm: "ring_hash" })] });
    const rr = validateConfig({ pools: [{ ...doc.pools[0]!, algorithm: "round_robin" }] }).pools[0]!;
    expect([rr.hash_on, rr.ring_min_size, rr.table_size]).toEqual([undefined, undefined, undefined]);
  });

  test("bad field values: enum, weight range, hash_on, health timing", () => {
    const doc = {
      pools: [
        pool({ algorithm: "fastest", backends: [{ address: "10.0.0.1:80", weight: 1001, state: "on" }] }),
        { name: "h", algorithm: "maglev", hash_on: "header:", backends: [] },
      ],
    };
    expect(invalidPaths(doc)).toEqual(["pools[0].algorithm", "pools[0].backends[0].state", "pools[0].backends[0].weight", "pools[1].hash_on"]);
    expect(invalidPaths({ pools: [pool({ health_check: { interval_ms: 1000, timeout_ms: 2000 } })] })).toEqual(["pools[0].health_check.timeout_ms"]);
  });

  test("a certificate whose key does not match, or that is not PEM", () => {
    const doc = {
      certificates: [
        { name: "x", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.b.key },
        { name: "y", cert_pem: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n" },
        { name: "z", cert_pem: "plain text" },
      ],
    };
    expect(invalidPaths(doc)).toEqual(["certificates[0].key_pem", "certificates[1].cert_pem", "certificates[2].cert_pem"]);
  });

  test("names that are not identifiers, and a document that is not an object", () => {
    expect(invalidPaths({ pools: [{ name: "App" }, { name: "-x" }, { name: "" }] })).toEqual(["pools[0].name", "pools[1].name", "pools[2].name"]);
    expect(invalidPaths([])).toEqual([""]);
    expect(invalidPaths("listeners: []")).toEqual([""]);
  });

  test("the message lists each problem with its path", () => {
    const e = expectLbError(() => validateConfig({ pools: [pool({ algorithm: "maglev", table_size: 4 })] }), "CONFIG_INVALID");
    expect(e.status).toBe(400);
    expect(e.message).toContain("pools[0].table_size");
  });
});

describe("validateConfig with schema errors", () => {
  test("still reports semantic problems of the resources that parsed, at their real paths", () => {
    const doc = {
      listeners: [
        { name: "a", protocol: "tcp", address: "127.0.0.1:1", pool: "typo" }, // pool typo'd below: exists by name
        { name: "b", protocol: "tcp", address: "127.0.0.1:2", pool: "nope" },
        { name: "c", protocol: "tcp", address: "bad" },
      ],
      pools: [{ name: "typo", algorithm: "maglev", tabel_size: 1 }, { name: "p", algorithm: "random", table_size: 251 }],
    };
    expect(invalidPaths(doc)).toEqual(["listeners[1].pool", "listeners[2].address", "pools[0].tabel_size", "pools[1].table_size"]);
  });
});
