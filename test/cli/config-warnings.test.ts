import { describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { configWarnings } from "../../src/cli/config-warnings.ts";
import { validateConfig, type ConfigDocInput } from "../../src/config/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";

const warn = (doc: ConfigDocInput, nowMs?: number) => configWarnings(validateConfig(doc), nowMs);
const pools = [{ name: "app", backends: [{ address: "10.0.0.1:80" }] }];
const web = (routes: object[]) => ({ listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", routes }], pools }) as ConfigDocInput;

describe("routes that can never match", () => {
  test("anything after a catch-all (no match, an empty match, or the / prefix)", () => {
    for (const all of [{}, { match: {} }, { match: { path_prefix: "/" } }]) {
      const w = warn(web([{ name: "all", ...all }, { name: "api", match: { path_prefix: "/api" } }]));
      expect(w).toEqual([
        { path: "listeners[0].routes[1]", message: 'route "api" of listener "web" can never match: route "all" before it matches every request (first match wins)' },
      ]);
    }
  });

  test("a route an earlier, wider route covers: same prefix or a segment below it, subsets of methods, headers and query", () => {
    const w = warn(
      web([
        { name: "v1", match: { path_prefix: "/v1", methods: ["GET", "POST"] } },
        { name: "v1-users", match: { path_prefix: "/v1/users", methods: ["GET"], headers: { "x-a": "1" } } },
        { name: "v1-exact", match: { path: "/v1/x", methods: ["POST"] } },
      ]),
    );
    expect(w.map((x) => x.path)).toEqual(["listeners[0].routes[1]", "listeners[0].routes[2]"]);
    expect(w[0]!.message).toContain('route "v1" before it matches every request route "v1-users" would');
  });

  test("no warning where a later route can still win", () => {
    const cases = [
      [{ name: "a", match: { path_prefix: "/v1" } }, { name: "b", match: { path_prefix: "/v10" } }],
      [{ name: "a", match: { path_prefix: "/v1", methods: ["GET"] } }, { name: "b", match: { path_prefix: "/v1" } }],
      [{ name: "a", match: { headers: { "x-canary": "1" } } }, { name: "b" }],
      [{ name: "a", match: { host: "a.example.com" } }, { name: "b", match: { host: "b.example.com" } }],
      [{ name: "a", match: { path_regex: "^/v1" } }, { name: "b", match: { path_prefix: "/v1" } }],
      [{ name: "a", match: { path_prefix: "/v1/" } }, { name: "b", match: { path_prefix: "/v1" } }],
      [{ name: "a", match: { query: { u: "1" } } }, { name: "b", match: { query: { u: "2" } } }],
    ];
    for (const routes of cases) expect(warn(web(routes))).toEqual([]);
  });
});

describe("pools", () => {
  test("one no listener, route or SNI rule uses, one without backends, one whose backends all are out", () => {
    const w = warn({
      listeners: [
        { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", routes: [{ name: "r", pool: "empty" }] },
        { name: "tls", protocol: "tls_passthrough", address: "127.0.0.1:0", pool: "app", sni: [{ names: ["a.test"], pool: "out" }] },
      ],
      pools: [
        { name: "app", backends: [{ address: "10.0.0.1:80" }] },
        { name: "empty" },
        { name: "out", backends: [{ address: "10.0.0.2:80", state: "disabled" }, { address: "10.0.0.3:80", weight: 0 }] },
        { name: "spare", backends: [{ address: "10.0.0.4:80" }] },
      ],
    });
    expect(w).toEqual([
      { path: "pools[1].backends", message: 'pool "empty" has no backends: its requests get 503 NO_HEALTHY_BACKEND' },
      { path: "pools[2].backends", message: 'pool "out" has no backend that can take traffic (each is disabled or has weight 0)' },
      { path: "pools[3]", message: 'pool "spare" is used by no listener, route or SNI rule' },
    ]);
  });
});

describe("certificates", () => {
  const notAfter = Date.parse(new X509Certificate(TEST_CERTS.a.cert).validTo);
  const doc: ConfigDocInput = {
    listeners: [{ name: "site", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["a"] } }],
    pools,
    certificates: [{ name: "a", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }],
  };
  const day = 86_400_000;

  test("an https certificate expiring within 30 days, or expired, is named with its date", () => {
    const date = new Date(notAfter).toISOString().slice(0, 10);
    expect(warn(doc, notAfter - 10 * day - 1000)).toEqual([
      { path: "certificates[0]", message: `certificate "a" of https listener "site" expires on ${date} (in 10 days)` },
    ]);
    expect(warn(doc, notAfter + 3 * day + 1000)[0]!.message).toBe(`certificate "a" of https listener "site" expired on ${date} (3 days ago)`);
  });

  test("no warning 31 days ahead", () => {
    expect(warn(doc, notAfter - 31 * day)).toEqual([]);
  });
});
