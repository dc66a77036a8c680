/**
 * Route header rules may not touch framing or connection fields (issue 11, item 10): a rule that
 * set Content-Length or added Transfer-Encoding would smuggle by configuration. A running node
 * refuses each with a 400 naming the field; Host is changed with `rewrite.host` instead, and a
 * route's `upgrade` list is checked the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";
import { scriptedBackend, type ScriptedBackend } from "./helpers/scripted-backend.ts";

let be: ScriptedBackend;
let n: L7Node;

const config = (route: Record<string, unknown>) => ({
  listeners: [{
    name: "web", protocol: "http", address: "127.0.0.1:0", pool: "raw",
    routes: [{ name: "r", match: { path_prefix: "/r" }, pool: "raw", ...route }],
  }],
  pools: [{ name: "raw", backends: [{ address: be.address }] }],
});

async function put(doc: unknown, dry = true): Promise<{ status: number; body: any }> {
  const res = await fetch(`${n.node.url}/v1/config${dry ? "?dry_run=true" : ""}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(doc),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  be = scriptedBackend(() => ({ parts: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] }));
  n = await startNode(config({}));
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  be?.stop();
});

/** A map key in a problem path, as the config validator writes it (headers["x-id"], headers.Host). */
const key = (name: string) => (/^[A-Za-z_]\w*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`);

const RESERVED = ["Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Keep-Alive", "TE", "Trailer", "Proxy-Connection", "Host"];

describe("header rules that touch framing or connection fields are refused with a 400 naming the field", () => {
  for (const side of ["request_headers", "response_headers"] as const) {
    for (const name of RESERVED) {
      test(`${side} on ${name}: set, add and remove`, async () => {
        for (const [op, rule, path] of [
          ["set", { set: { [name]: "1" } }, `${side}.set${key(name)}`],
          ["add", { add: { [name.toLowerCase()]: "1" } }, `${side}.add${key(name.toLowerCase())}`],
          ["remove", { remove: ["x-fine", name.toUpperCase()] }, `${side}.remove[1]`],
        ] as const) {
          const r = await put(config({ [side]: rule }));
          expect({ op, status: r.status, code: r.body.error?.code }).toEqual({ op, status: 400, code: "CONFIG_INVALID" });
          const paths = (r.body.error.details as { path: string }[]).map((d) => d.path);
          expect(paths).toEqual([`listeners[0].routes[0].${path}`]);
        }
      });
    }
  }

  test("the issue's case: Content-Length: 20 set on requests is refused, and nothing is applied", async () => {
    const r = await put(config({ request_headers: { set: { "Content-Length": "20" } } }), false);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("Content-Length");
    const res = await rawExchange(n.port("web"), "POST /r HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    expect(res.text.startsWith("HTTP/1.1 200 ")).toBe(true);
    expect(be.requests.at(-1)!.head.toLowerCase()).not.toContain("content-length: 20");
  });

  test("other header rules still pass", async () => {
    const r = await put(config({ request_headers: { set: { "X-Env": "prod" }, remove: ["cookie"] }, response_headers: { add: { "X-Frame-Options": "DENY" } } }));
    expect(r.status).toBe(200);
  });
});

describe("rewrite.host and upgrade", () => {
  test("rewrite.host sends that Host upstream; X-Forwarded-Host keeps the client's", async () => {
    const r = await put(config({ rewrite: { host: "internal.example:8080" } }), false);
    expect(r.status).toBe(200);
    const res = await rawExchange(n.port("web"), "GET /r/x HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n");
    expect(res.text.startsWith("HTTP/1.1 200 ")).toBe(true);
    const head = be.requests.at(-1)!.head.toLowerCase();
    expect(head.match(/\r\nhost: [^\r]*/g)).toEqual(["\r\nhost: internal.example:8080"]);
    expect(head).toContain("\r\nx-forwarded-host: public.example");
  });

  test("an HTTP/1.0 request without Host gets the rewritten one, once", async () => {
    const res = await rawExchange(n.port("web"), "GET /r/old HTTP/1.0\r\n\r\n");
    expect(res.text.startsWith("HTTP/1.1 200 ")).toBe(true);
    expect(be.requests.at(-1)!.head.toLowerCase().match(/\r\nhost: [^\r]*/g)).toEqual(["\r\nhost: internal.example:8080"]);
  });

  for (const [what, route, path] of [
    ["an empty rewrite", { rewrite: {} }, "listeners[0].routes[0].rewrite"],
    ["a Host with a space", { rewrite: { host: "a b" } }, "listeners[0].routes[0].rewrite.host"],
    ["a Host with a path", { rewrite: { host: "a/b" } }, "listeners[0].routes[0].rewrite.host"],
    ["h2c in upgrade", { upgrade: ["websocket", "h2c"] }, "listeners[0].routes[0].upgrade[1]"],
    ["a protocol that is not a token", { upgrade: ["web socket"] }, "listeners[0].routes[0].upgrade[0]"],
  ] as const) {
    test(`${what} is a 400 naming the field`, async () => {
      const r = await put(config(route));
      expect([r.status, r.body.error?.code]).toEqual([400, "CONFIG_INVALID"]);
      expect((r.body.error.details as { path: string }[]).map((d) => d.path)).toEqual([path]);
    });
  }
});
