/**
 * Issue 11 items 2 and 14 through a real `fulcrum start`: routes match the normalized path (the
 * issue's five bypasses of a `/admin` redirect now meet it, as with nginx), what cannot be
 * normalized safely is a 400 that closes the connection, the backend gets the path that was
 * routed, merge_slashes can be turned off, and a route regex costs linear time whatever the path.
 * Backends are raw sockets, so the request line is seen as it arrived.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { lineBackend, parseRaw, type LineBackend, type SeenLine } from "./helpers/line-backend.ts";
import { removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";

const admin = { name: "admin", match: { path_prefix: "/admin" }, redirect: { scheme: "https", status: 301 } };
let def: LineBackend, api: LineBackend, re: LineBackend;
let n: L7Node;
let web = 0, keep = 0;

beforeAll(async () => {
  [def, api, re] = [lineBackend("def"), lineBackend("api"), lineBackend("re")];
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "def",
        routes: [
          admin,
          { name: "api", match: { path_prefix: "/api/v1" }, pool: "api", rewrite: { path_prefix: "/v1" } },
          { name: "nested", match: { path_regex: "^/r/(a+)+$" }, pool: "re" },
          { name: "poly", match: { path_regex: ".*x.*y" }, pool: "re" },
          { name: "nocase", match: { path_regex: "(?i)^/CaseLess/" }, pool: "re" },
        ],
      },
      { name: "keep", protocol: "http", address: "127.0.0.1:0", pool: "def", merge_slashes: false, routes: [admin] },
    ],
    pools: [def, api, re].map((b) => ({ name: b.name, backends: [{ address: b.address }] })),
  });
  web = n.port("web");
  keep = n.port("keep");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  for (const b of [def, api, re]) b?.stop();
});

const get = (port: number, target: string) => rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n`);
const heads = () => def.heads.length + api.heads.length + re.heads.length;

describe("route matching on the normalized path", () => {
  test("the issue's bypasses of a /admin redirect meet it, like nginx", async () => {
    for (const target of ["/admin", "/x/../admin", "/%61dmin", "//admin", "/./admin", "/a/%2e%2E/admin", "/admin/./x", "///admin//y"]) {
      const r = parseRaw((await get(web, target)).text);
      expect({ target, status: r.status }).toEqual({ target, status: 301 });
    }
  });

  test("matching stays case-sensitive unless a route asks: /ADMIN goes on, a (?i) regex opts in", async () => {
    expect(parseRaw((await get(web, "/ADMIN")).text).backend).toBe("def");
    expect(parseRaw((await get(web, "/caseless/x")).text).backend).toBe("re");
  });

  test("what cannot be normalized safely is a 400 that closes the connection and reaches no backend", async () => {
    const before = heads();
    const cases: [string, string][] = [
      ["/admin%2f", "ENCODED_SLASH"], ["/admin%2Fx", "ENCODED_SLASH"], ["/a%5cadmin", "ENCODED_BACKSLASH"],
      ["/admin%00", "ENCODED_NUL"], ["/%zzadmin", "BAD_PERCENT_ENCODING"], ["/admin%4", "BAD_PERCENT_ENCODING"],
      ["/../admin", "PATH_ABOVE_ROOT"], ["/a/../../admin", "PATH_ABOVE_ROOT"], ["/%2e%2e/admin", "PATH_ABOVE_ROOT"],
    ];
    for (const [target, reason] of cases) {
      // keep-alive asked for: the node closes anyway
      const res = await rawExchange(web, `GET ${target} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
      const r = parseRaw(res.text);
      expect({ target, status: r.status, error: r.error, closed: res.closed }).toEqual({ target, status: 400, error: "BAD_REQUEST", closed: true });
      expect(r.body).toBe(`BAD_REQUEST: ${reason}\n`);
      expect(res.text).toContain("connection: close");
    }
    expect(heads()).toBe(before);
  });

  test("the backend gets the normalized path (query as sent); a path already normal goes byte for byte", async () => {
    const seen = async (target: string): Promise<SeenLine> => JSON.parse(parseRaw((await get(web, target)).text).body) as SeenLine;
    expect((await seen("/x/./y//z/../w?q=/../&r=%2F")).line).toBe("GET /x/y/w?q=/../&r=%2F HTTP/1.1");
    expect((await seen("/%7Euser/caf%c3%a9")).line).toBe("GET /~user/caf%C3%A9 HTTP/1.1");
    expect((await seen("/plain/path;p=1?x=%2e%2e")).line).toBe("GET /plain/path;p=1?x=%2e%2e HTTP/1.1");
    // a prefix rewrite applies to the normalized path
    const r = await get(web, "/api/./v1//users/../items?id=7");
    expect(parseRaw(r.text).backend).toBe("api");
    expect((JSON.parse(parseRaw(r.text).body) as SeenLine).line).toBe("GET /v1/items?id=7 HTTP/1.1");
  });

  test("pipelined behind a good request, a refused path is answered 400 and nothing after it is read", async () => {
    const before = def.heads.length;
    const res = await rawExchange(web, "GET /ok HTTP/1.1\r\nHost: a.test\r\n\r\nGET /%2e%2e/admin HTTP/1.1\r\nHost: a.test\r\n\r\nGET /after HTTP/1.1\r\nHost: a.test\r\n\r\n");
    expect(res.text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 400"]);
    expect(res.closed).toBe(true);
    expect(def.heads.slice(before).map((h) => h.split("\r\n")[0])).toEqual(["GET /ok HTTP/1.1"]);
  });

  test("OPTIONS * and an absolute-form target are not paths to normalize: * goes as it came", async () => {
    const res = await rawExchange(web, "OPTIONS * HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    expect(JSON.parse(parseRaw(res.text).body).line).toBe("OPTIONS * HTTP/1.1");
    const abs = await rawExchange(web, "GET http://a.test/x/../admin HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    expect(parseRaw(abs.text).status).toBe(301);
  });

  test("merge_slashes: false keeps // (the route misses it) and still resolves dot segments", async () => {
    expect(parseRaw((await get(keep, "//admin")).text).backend).toBe("def");
    expect(JSON.parse(parseRaw((await get(keep, "/a//b")).text).body).line).toBe("GET /a//b HTTP/1.1");
    expect(parseRaw((await get(keep, "/x/../admin")).text).status).toBe(301);
    expect(parseRaw((await get(keep, "/a//../admin")).text).backend).toBe("def"); // "/a/" + "admin", RFC 3986 §5.2.4
  });
});

describe("route regexes cost linear time", () => {
  test("crafted paths against (a+)+$ and .*x.*y are answered at once, and the node goes on serving", async () => {
    const crafted = [`/r/${"a".repeat(4000)}!`, `/${"x".repeat(7000)}`];
    for (const target of crafted) {
      const t0 = performance.now();
      const r = parseRaw((await get(web, target)).text);
      const ms = performance.now() - t0;
      expect(r.backend).toBe("def"); // neither route matched
      // JavaScript's RegExp needs seconds for 30 characters of the first and 90 s for the second
      expect(ms).toBeLessThan(1500);
    }
    expect(parseRaw((await get(web, "/r/aaa")).text).backend).toBe("re");
    expect(parseRaw((await get(web, "/axby")).text).backend).toBe("re");
  }, 20_000);

  test("regexes the engine cannot bound are refused at validation, naming the field", async () => {
    const put = async (route: Record<string, unknown>, listener: Record<string, unknown> = {}) => {
      const doc = {
        listeners: [{ name: "v", protocol: "http", address: "127.0.0.1:0", pool: "def", ...listener, routes: [{ name: "r", ...route }] }],
        pools: [{ name: "def", backends: [{ address: def.address }] }],
      };
      const res = await fetch(`${n.node.url}/v1/config?dry_run=true`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
      const body = (await res.json()) as { error: { code: string; details: { path: string; message: string }[] } };
      return { status: res.status, paths: body.error?.details?.map((d) => d.path) ?? [], text: JSON.stringify(body) };
    };
    for (const path_regex of ["^/(a)\\1$", "^/(?=admin)", "^/(?<!x)a", "[a-z]{200}"]) {
      const r = await put({ match: { path_regex } });
      expect({ path_regex, status: r.status, paths: r.paths }).toEqual({ path_regex, status: 400, paths: ["listeners[0].routes[0].match.path_regex"] });
    }
    const notNormal = await put({ match: { path_prefix: "/a/../admin" } });
    expect(notNormal.paths).toEqual(["listeners[0].routes[0].match.path_prefix"]);
    expect(notNormal.text).toContain('write \\"/admin\\"');
    expect((await put({ match: { path: "/a//b" } }, { merge_slashes: false })).status).toBe(200);
    expect((await put({ match: { path: "/a//b" } })).paths).toEqual(["listeners[0].routes[0].match.path"]);
    expect((await put({ match: { path_regex: "^/r/(a+)+$" } })).status).toBe(200);
  });
});
