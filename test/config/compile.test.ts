import { hostMatches } from "../../src/net/index.ts";
import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS } from "../../src/config/index.ts";
import { genConfig, TEST_CERTS } from "../helpers/config-gen.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

const doc = validateConfig({
  listeners: [
    {
      name: "web",
      protocol: "https",
      address: "[::1]:8443",
      pool: "app",
      tls: { certificates: ["site"] },
      routes: [
        { name: "api", match: { host: "API.Example.com", path_regex: "^/v[0-9]+/", methods: ["get"], headers: { "X-Canary": "1" } }, pool: "api", retries: { attempts: 2 } },
        { name: "wild", match: { host: "*.Example.org", path_prefix: "/w" }, rewrite: { path_prefix: "/" }, request_headers: { set: { "X-Via": "f" }, remove: ["Cookie"] } },
        { name: "moved", redirect: { scheme: "https", status: 308 } },
      ],
    },
    { name: "edge", protocol: "tls_passthrough", address: "0.0.0.0:0", sni: [{ names: ["A.example.com", "*.b.example.com"], pool: "api" }] },
  ],
  pools: [
    {
      name: "app",
      algorithm: "maglev",
      table_size: 251,
      backends: [
        { address: "10.0.0.1:80", weight: 2 },
        { address: "10.0.0.2:80", state: "draining" },
        { address: "10.0.0.3:80" },
        { address: "10.0.0.4:80", state: "disabled" },
      ],
    },
    { name: "api", backends: [{ address: "[fd00::1]:9000" }], health_check: { type: "http" } },
  ],
  certificates: [{ name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }],
});

describe("compileSnapshot", () => {
  const snap = compileSnapshot(doc, 7);

  test("resolves references to the compiled objects", () => {
    expect(snap.revision).toBe(7);
    const [web, edge] = snap.listeners;
    expect(web!.pool).toBe(snap.pools.app!);
    expect(web!.routes[0]!.pool).toBe(snap.pools.api!);
    expect(web!.routes[1]!.pool).toBe(snap.pools.app!); // no route pool: the listener's default
    expect(web!.routes[2]!.pool).toBeUndefined(); // a redirect proxies nowhere
    expect(web!.certificates[0]).toBe(snap.certificates.site!);
    expect(snap.certificates.site!.keyPem).toBe(TEST_CERTS.a.key);
    expect(edge!.sni[0]!.pool).toBe(snap.pools.api!);
    expect(web!.host).toBe("::1");
    expect(web!.port).toBe(8443);
    expect(edge!.port).toBe(0);
  });

  test("keeps every backend but selects only among active ones", () => {
    const app = snap.pools.app!;
    expect(app.backends.map((b) => b.state)).toEqual(["active", "draining", "active", "disabled"]);
    expect(app.usable.map((b) => b.address)).toEqual(["10.0.0.1:80", "10.0.0.3:80"]);
    expect(app.selector.name).toBe("maglev");
    expect(app.selector.table).toHaveLength(251);
    const counts = [0, 0];
    for (const slot of app.selector.table!) counts[slot]!++;
    expect(counts[0]! + counts[1]!).toBe(251);
    expect(counts[0]!).toBeGreaterThan(counts[1]!); // weight 2 against 1
    for (let i = 0; i < 50; i++) {
      const idx = app.selector.pick({ key: `10.1.0.${i}`, first: -1, last: -1 }, 0);
      expect(idx === 0 || idx === 1).toBe(true);
    }
    expect(snap.pools.api!.usable[0]).toEqual({ address: "[fd00::1]:9000", host: "fd00::1", port: 9000, weight: 1, state: "active" });
  });

  test("compiles matches: lower-case hosts, wildcard suffixes, regexes, upper-case methods, lower-case header names", () => {
    const [api, wild] = snap.listeners[0]!.routes;
    expect(api!.match.host).toEqual({ pattern: "api.example.com", wildcard: false, suffix: "api.example.com" });
    expect(api!.match.pathRegex!.source).toBe("^/v[0-9]+/");
    expect(api!.match.pathRegex!.test("/v2/users")).toBe(true);
    expect(api!.match.methods).toEqual(["GET"]);
    expect(api!.match.headers).toEqual([{ name: "x-canary", value: "1" }]);
    expect(api!.retries).toEqual({ attempts: 2, on: ["connect_failure"], nonIdempotent: false });
    expect(wild!.match.host!.suffix).toBe(".example.org");
    expect(hostMatches(wild!.match.host!, "a.example.org")).toBe(true);
    expect(hostMatches(wild!.match.host!, "a.b.example.org")).toBe(true);
    expect(hostMatches(wild!.match.host!, "example.org")).toBe(false);
    expect(hostMatches(api!.match.host!, "api.example.com")).toBe(true);
    expect(wild!.rewrite).toEqual({ pathPrefix: "/" });
    expect(wild!.requestHeaders).toEqual({ set: [{ name: "x-via", value: "f" }], add: [], remove: ["cookie"] });
    expect(snap.listeners[0]!.routes[2]!.redirect).toEqual({ scheme: "https", status: 308 });
    expect(snap.listeners[1]!.sni[0]!.names.map((n) => n.pattern)).toEqual(["a.example.com", "*.b.example.com"]);
  });

  test("fills defaults", () => {
    const web = snap.listeners[0]!;
    expect(web.idleTimeoutMs).toBe(DEFAULT_IDLE_TIMEOUT_MS);
    expect(web.proxyProtocol.send).toBe("none");
    expect(web.proxyProtocol.acceptFrom.size).toBe(0);
    expect(web.trustedProxies.size).toBe(0);
    expect(web.mergeSlashes).toBe(true);
    expect(web.maxConnections).toBeUndefined();
    expect(snap.pools.app!.connectTimeoutMs).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
    expect(snap.pools.app!.hashOn).toEqual({ kind: "source_ip" });
    expect(snap.pools.api!.healthCheck).toEqual({ type: "http", path: "/", interval_ms: 2000, timeout_ms: 1000, healthy_threshold: 2, unhealthy_threshold: 3 });
  });

  test("is deeply frozen, except selectors' own state", () => {
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.listeners[0]!.routes[0]!.match)).toBe(true);
    expect(Object.isFrozen(snap.pools)).toBe(true);
    expect(Object.isFrozen(snap.pools.app!.usable[0])).toBe(true);
    expect(() => {
      (snap.pools.app as { name: string }).name = "x";
    }).toThrow();
    expect(Object.isFrozen(snap.pools.app!.selector)).toBe(false);
  });

  test("lookup records have no prototype: a pool named constructor is just a name", () => {
    const s = compileSnapshot(validateConfig({ pools: [{ name: "constructor" }] }), 1);
    expect(s.pools.constructor!.name).toBe("constructor");
    expect(s.pools.toString).toBeUndefined();
  });

  test("a certificate without its key does not compile", () => {
    const noKey = validateConfig({ certificates: [{ name: "c", cert_pem: TEST_CERTS.a.cert }] });
    expect(problemPaths(expectLbError(() => compileSnapshot(noKey, 1), "CONFIG_INVALID"))).toEqual(["certificates[0].key_pem"]);
  });

  test("every generated document compiles", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const d = validateConfig(genConfig(seed));
      const s = compileSnapshot(d, seed);
      expect(s.listeners).toHaveLength(d.listeners.length);
      expect(Object.keys(s.pools).sort()).toEqual(d.pools.map((p) => p.name).sort());
    }
  });
});
