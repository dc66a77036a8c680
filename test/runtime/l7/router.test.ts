import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../../src/config/index.ts";
import { hostOnly, matchRoute, prefixMatches, queryParam, rewriteTarget, splitTarget, type RoutableRequest } from "../../../src/runtime/l7/router.ts";

const snap = compileSnapshot(
  validateConfig({
    pools: [{ name: "web", backends: [{ address: "127.0.0.1:1" }] }, { name: "api", backends: [{ address: "127.0.0.1:2" }] }],
    listeners: [
      {
        name: "edge",
        protocol: "http",
        address: "127.0.0.1:0",
        pool: "web",
        routes: [
          { name: "canary", match: { host: "api.example.com", headers: { "x-canary": "1" } }, pool: "api" },
          { name: "v1", match: { host: "api.example.com", path_prefix: "/v1", methods: ["GET", "POST"] }, pool: "api", rewrite: { path_prefix: "/" } },
          { name: "wild", match: { host: "*.example.org", path_regex: "^/img/[0-9]+$" }, pool: "api" },
          { name: "q", match: { path: "/search", query: { engine: "x y" } }, pool: "api" },
          { name: "secure", match: { path_prefix: "/admin" }, redirect: { scheme: "https", status: 301 } },
        ],
      },
    ],
  }),
  1,
);
const edge = snap.listeners[0]!;

function req(method: string, host: string, target: string, headers: Record<string, string> = {}): RoutableRequest {
  const { path, query } = splitTarget(target);
  return { method, host: hostOnly(host), path, query, header: (n) => headers[n] };
}

describe("route matching", () => {
  test("first match wins, conditions combine, and unmatched requests fall through", () => {
    expect(matchRoute(edge, req("GET", "api.example.com", "/v1/users", { "x-canary": "1" }))?.name).toBe("canary");
    expect(matchRoute(edge, req("GET", "API.example.com:8080", "/v1/users"))?.name).toBe("v1");
    expect(matchRoute(edge, req("DELETE", "api.example.com", "/v1/users"))).toBeUndefined();
    expect(matchRoute(edge, req("GET", "api.example.com", "/v10"))).toBeUndefined();
    expect(matchRoute(edge, req("GET", "cdn.example.org", "/img/42"))?.name).toBe("wild");
    expect(matchRoute(edge, req("GET", "example.org", "/img/42"))).toBeUndefined();
    expect(matchRoute(edge, req("GET", "cdn.example.org", "/img/42x"))).toBeUndefined();
    expect(matchRoute(edge, req("GET", "any", "/search?a=1&engine=x+y"))?.name).toBe("q");
    expect(matchRoute(edge, req("GET", "any", "/search?engine=z"))).toBeUndefined();
    expect(matchRoute(edge, req("GET", "any", "/admin/x"))?.redirect?.status).toBe(301);
  });

  test("prefix rewrite keeps the rest of the path and the query", () => {
    const v1 = edge.routes[1]!;
    expect(rewriteTarget(v1, "/v1/users", "a=1")).toBe("/users?a=1");
    expect(rewriteTarget(v1, "/v1", "")).toBe("/");
    expect(rewriteTarget(edge.routes[0]!, "/v1/users", "")).toBeUndefined();
  });

  test("helpers: targets, hosts, prefixes and query parameters", () => {
    expect(splitTarget("http://h.example/p/q?x=1")).toEqual({ path: "/p/q", query: "x=1" });
    expect(splitTarget("/")).toEqual({ path: "/", query: "" });
    expect(hostOnly("[::1]:8080")).toBe("[::1]");
    expect(prefixMatches("/v1/", "/v1")).toBe(true);
    expect(prefixMatches("/api/x", "/api/")).toBe(true);
    expect(queryParam("a=%ZZ&b=2", "a")).toBe("%ZZ");
    expect(queryParam("flag&b=2", "flag")).toBe("");
  });
});
