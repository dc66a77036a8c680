/** HTTP/2's config: listeners' alpn and h2c, pools' protocol, and grpc health checks, validated and compiled. */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

const pool = (extra: object = {}) => ({ name: "app", backends: [{ address: "10.0.0.1:80" }], ...extra });
const cert = { name: "c", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key };
const https = (extra: object = {}) => ({ name: "s", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["c"] }, ...extra });
const http = (extra: object = {}) => ({ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", ...extra });
const invalidPaths = (doc: unknown) => problemPaths(expectLbError(() => validateConfig(doc), "CONFIG_INVALID"));
const compile = (doc: object) => compileSnapshot(validateConfig(doc), 1);

describe("listeners", () => {
  test("https offers h2 and http/1.1 by ALPN, http takes h2c, by default; both can be set", () => {
    const snap = compile({ listeners: [https(), http(), https({ name: "s1", address: "127.0.0.1:1", alpn: ["http/1.1"] }), http({ name: "w1", address: "127.0.0.1:2", h2c: false })], pools: [pool()], certificates: [cert] });
    expect(snap.listeners.map((l) => [l.alpn, l.h2c])).toEqual([[["h2", "http/1.1"], false], [[], true], [["http/1.1"], false], [[], false]]);
  });

  test("h2c: only compiles to an HTTP/2-only listener; other strings name the field", () => {
    const snap = compile({ listeners: [http({ h2c: "only" })], pools: [pool()] });
    expect(snap.listeners[0]!.h2c).toBe("only");
    expect(invalidPaths({ listeners: [http({ h2c: "h2" })], pools: [pool()] })).toEqual(["listeners[0].h2c"]);
  });

  test("alpn only on https, h2c only on http, no protocol twice, none unknown", () => {
    const doc = {
      listeners: [
        http({ alpn: ["h2"] }),
        https({ h2c: true }),
        https({ name: "s2", address: "127.0.0.1:2", alpn: ["h2", "h2"] }),
        https({ name: "s3", address: "127.0.0.1:3", alpn: ["h3"] }),
        { name: "t", protocol: "tcp", address: "127.0.0.1:4", pool: "app", h2c: true },
      ],
      pools: [pool()],
      certificates: [cert],
    };
    expect(invalidPaths(doc)).toEqual(["listeners[0].alpn", "listeners[1].h2c", "listeners[2].alpn", "listeners[3].alpn[0]", "listeners[4].h2c"]);
  });
});

describe("pools", () => {
  test("protocol http1 by default; h2 gets verified TLS when it names none; keys tell protocols apart", () => {
    const snap = compile({ pools: [pool(), pool({ name: "b", protocol: "h2" }), pool({ name: "c", protocol: "h2c" })] });
    const [a, b, c] = ["app", "b", "c"].map((n) => snap.pools[n]!);
    expect([a!.protocol, b!.protocol, c!.protocol]).toEqual(["http1", "h2", "h2c"]);
    expect(b!.tls?.verify).toBe(true);
    expect(c!.tls).toBeUndefined();
    expect([a!.backends[0]!.poolKey, a!.backends[0]!.protocol]).toEqual([undefined, undefined]);
    expect(b!.backends[0]!.protocol).toBe("h2");
    expect(b!.backends[0]!.poolKey).toStartWith("10.0.0.1:80|h2|tls|");
    expect(c!.backends[0]!.poolKey).toBe("10.0.0.1:80|h2c");
  });

  test("h2c with tls, grpc checks of an HTTP/1.1 pool, service off grpc, tls checks of an HTTP/2 pool are refused", () => {
    const doc = {
      pools: [
        pool({ protocol: "h2c", tls: { verify: false } }),
        pool({ name: "b", health_check: { type: "grpc" } }),
        pool({ name: "c", protocol: "h2c", health_check: { type: "http", service: "x" } }),
        pool({ name: "d", protocol: "h2", health_check: { type: "tls" } }),
      ],
    };
    expect(invalidPaths(doc)).toEqual(["pools[0].tls", "pools[1].health_check.type", "pools[2].health_check.service", "pools[3].health_check.type"]);
  });

  test("an L4 listener cannot use an HTTP/2 pool", () => {
    const doc = { listeners: [{ name: "t", protocol: "tcp", address: "127.0.0.1:1", pool: "app" }], pools: [pool({ protocol: "h2c" })] };
    expect(invalidPaths(doc)).toEqual(["listeners[0].pool"]);
  });

  test("a grpc check names its service; an h2c pool's checks compile", () => {
    const snap = compile({ pools: [pool({ protocol: "h2c", health_check: { type: "grpc", service: "pkg.Svc" } })] });
    expect(snap.pools.app!.healthCheck).toMatchObject({ type: "grpc", service: "pkg.Svc" });
  });
});
