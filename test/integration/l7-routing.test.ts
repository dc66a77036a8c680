/**
 * L7 routing end to end through a real `fulcrum start`: host exact and wildcard, path exact /
 * prefix / regex, methods, headers, query, the default pool, 404 NO_ROUTE, prefix rewrite,
 * redirects and header edits on both sides, each answered by a distinct tagged backend. Every
 * case runs over HTTP/1.1 and over HTTP/2 (helpers/codecs.ts) against the same node.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { backend, pool, seen, startNode, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";
import { CODECS, closeCodecs, type CallInit } from "./helpers/codecs.ts";

const names = ["def", "api", "wild", "exact", "regex", "meth", "canary", "q", "hdr"] as const;
const b: Record<string, Backend> = {};
let n: L7Node;
let web = 0;
let strict = 0;

beforeAll(async () => {
  for (const name of names) {
    b[name] = backend(name, name === "hdr"
      ? (req) => {
          const r = Response.json({ target: new URL(req.url).pathname, headers: Object.fromEntries(req.headers.entries()) });
          r.headers.set("x-secret", "leak");
          r.headers.set("x-resp-set", "original");
          return r;
        }
      : undefined);
  }
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "def",
        routes: [
          { name: "api", match: { host: "api.example.com", path_prefix: "/v1" }, pool: "api", rewrite: { path_prefix: "/" } },
          { name: "wild", match: { host: "*.wild.test" }, pool: "wild" },
          { name: "exact", match: { path: "/exact" }, pool: "exact" },
          { name: "regex", match: { path_regex: "^/items/[0-9]+$" }, pool: "regex" },
          { name: "meth", match: { path_prefix: "/m", methods: ["DELETE", "put"] }, pool: "meth" },
          { name: "canary", match: { headers: { "x-canary": "1" } }, pool: "canary" },
          { name: "q", match: { query: { v: "2" } }, pool: "q" },
          { name: "https", match: { path_prefix: "/to-https" }, redirect: { scheme: "https", status: 301 } },
          { name: "moved", match: { path_prefix: "/moved" }, redirect: { host: "new.example.com", port: 8443, status: 308 } },
          {
            name: "hdr", match: { path_prefix: "/hdr" }, pool: "hdr",
            request_headers: { set: { "x-set": "s", "user-agent": "fulcrum-set" }, add: { "x-add": "a" }, remove: ["x-drop"] },
            response_headers: { set: { "x-resp-set": "r" }, add: { "x-resp-add": "ra" }, remove: ["x-secret"] },
          },
        ],
      },
      { name: "strict", protocol: "http", address: "127.0.0.1:0", routes: [{ name: "only", match: { path: "/only" }, pool: "exact" }] },
    ],
    pools: names.map((name) => pool(name, [b[name]!])),
  });
  web = n.port("web");
  strict = n.port("strict");
});

afterAll(async () => {
  closeCodecs();
  await killAll();
  removeTempDirs();
  for (const x of Object.values(b)) x.stop();
});

for (const { name: codec, call } of CODECS) {
  const via = async (path: string, init: CallInit = {}, port = web) => (await call(port, path, init)).headers.get("x-backend");

  describe(`routing through a real node over ${codec}`, () => {
    test("host exact match routes and the prefix rewrite reaches the backend; another host falls to the default pool", async () => {
      const res = await call(web, "/v1/users?id=7", { host: "api.example.com" });
      expect(res.headers.get("x-backend")).toBe("api");
      expect((await seen(res)).target).toBe("/users?id=7");
      expect(await via("/v1/users", { host: "other.example.com" })).toBe("def");
      expect(await via("/v10", { host: "api.example.com" })).toBe("def");
    });

    test("a *.wildcard host matches subdomains (any port, any case) but not the bare domain", async () => {
      expect(await via("/", { host: "a.wild.test" })).toBe("wild");
      expect(await via("/", { host: "X.Y.Wild.Test:8080" })).toBe("wild");
      expect(await via("/", { host: "wild.test" })).toBe("def");
    });

    test("path exact, regex, methods, headers and query each select their pool", async () => {
      expect(await via("/exact")).toBe("exact");
      expect(await via("/exact/more")).toBe("def");
      expect(await via("/items/42")).toBe("regex");
      expect(await via("/items/x42")).toBe("def");
      expect(await via("/m/1", { method: "DELETE" })).toBe("meth");
      expect(await via("/m/1", { method: "PUT" })).toBe("meth");
      expect(await via("/m/1", { method: "GET" })).toBe("def");
      expect(await via("/c", { headers: { "x-canary": "1" } })).toBe("canary");
      expect(await via("/c", { headers: { "x-canary": "2" } })).toBe("def");
      expect(await via("/s?a=1&v=2")).toBe("q");
      expect(await via("/s?v=3")).toBe("def");
    });

    test("no route and no default pool answers 404 NO_ROUTE with x-fulcrum-error", async () => {
      const res = await call(strict, "/elsewhere");
      expect(res.status).toBe(404);
      expect(res.headers.get("x-fulcrum-error")).toBe("NO_ROUTE");
      expect(await via("/only", {}, strict)).toBe("exact");
    });

    test("a redirect to https keeps host and target; one to another host carries the port and status", async () => {
      const hits = () => Object.values(b).reduce((t, x) => t + x.hits, 0);
      const before = hits();
      const a = await call(web, "/to-https/x?y=1", { host: "shop.test:8080" });
      expect(a.status).toBe(301);
      expect(a.headers.get("location")).toBe("https://shop.test/to-https/x?y=1");
      const m = await call(web, "/moved/p", { host: "old.test" });
      expect(m.status).toBe(308);
      expect(m.headers.get("location")).toBe("http://new.example.com:8443/moved/p");
      if (codec === "HTTP/1.1") {
        // An absolute-form target (HTTP/1.1 only) keeps its path and query in the Location.
        const abs = await rawExchange(web, "GET http://a.test/to-https/y?z=2 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        expect(abs.text).toMatch(/^HTTP\/1\.1 301 /);
        expect(abs.text).toContain("\r\nlocation: https://a.test/to-https/y?z=2\r\n");
      }
      expect(hits()).toBe(before); // a redirect never reaches a backend
    });

    test("request header set/add/remove reach the backend and response header edits reach the client", async () => {
      const before = b.hdr!.hits;
      const res = await call(web, "/hdr", { headers: { "x-drop": "gone", "x-set": "client", "x-add": "client", "user-agent": "curl" } });
      expect(res.status).toBe(200);
      expect(b.hdr!.hits).toBe(before + 1);
      const got = (await res.json()) as { headers: Record<string, string> };
      expect(got.headers["x-drop"]).toBeUndefined();
      expect(got.headers["x-set"]).toBe("s");
      expect(got.headers["user-agent"]).toBe("fulcrum-set");
      expect(got.headers["x-add"]).toBe("client, a");
      expect(res.headers.get("x-secret")).toBeNull();
      expect(res.headers.get("x-resp-set")).toBe("r");
      expect(res.headers.get("x-resp-add")).toBe("ra");
      expect(res.headers.get("x-backend")).toBe("hdr");
    });
  });
}
