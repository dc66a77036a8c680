import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../../src/config/index.ts";
import { DEFAULT_LIMITS, type RequestHead } from "../../../src/http/index.ts";
import { parseRequestHead } from "../../../src/http/request-head.ts";
import { hostOfAuthority } from "../../../src/net/index.ts";
import { matchRoute, originForm, prefixMatches, queryParam, readTarget, rewriteTarget, type RoutableRequest, type TargetParts } from "../../../src/runtime/l7/router.ts";

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

function head(target: string, host = "a.test"): RequestHead {
  const buf = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, "latin1");
  return parseRequestHead(buf, 0, buf.length, new Int32Array(DEFAULT_LIMITS.maxHeaderCount * 5), DEFAULT_LIMITS);
}

function parts(target: string, host?: string, merge = true): TargetParts | string {
  const out: TargetParts = { path: "", query: "", targetChanged: false };
  const refused = readTarget(head(target, host), merge, out);
  return refused ? refused.problem : out;
}

function req(method: string, host: string, target: string, headers: Record<string, string> = {}): RoutableRequest {
  const { path, query } = parts(target, host) as TargetParts;
  return { method, host: hostOfAuthority(host), path, query, header: (n) => headers[n] };
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
    expect(parts("http://h.example/p/q?x=1", "h.example")).toEqual({ path: "/p/q", query: "x=1", targetChanged: true });
    expect(parts("http://h.example?x=1", "h.example")).toEqual({ path: "/", query: "x=1", targetChanged: true });
    expect(parts("/")).toEqual({ path: "/", query: "", targetChanged: false });
    expect(parts("/a/./b//c?q=/../")).toEqual({ path: "/a/b/c", query: "q=/../", targetChanged: true });
    expect(parts("/a//b", undefined, false)).toEqual({ path: "/a//b", query: "", targetChanged: false });
    expect(parts("/%2e%2e/x")).toBe("PATH_ABOVE_ROOT");
    expect(originForm({ path: "/p", query: "x=1", targetChanged: true })).toBe("/p?x=1");
    expect(originForm({ path: "/p", query: "", targetChanged: true })).toBe("/p");
    expect(prefixMatches("/v1/", "/v1")).toBe(true);
    expect(prefixMatches("/api/x", "/api/")).toBe(true);
    expect(queryParam("a=%ZZ&b=2", "a")).toBe("%ZZ");
    expect(queryParam("flag&b=2", "flag")).toBe("");
  });
});
