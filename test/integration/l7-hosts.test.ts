/**
 * Issue 11 items 3 and 6 through a real `fulcrum start`: a Host must name a server (else 400 and
 * the connection closes), hosts match without case and trailing dot, and an absolute-form
 * target is routed by its authority and forwarded origin-form with a Host that matches it. Route
 * hosts, the https certificate picked by SNI and tls_passthrough rules come from one matcher
 * (src/net), so every spelling of a name reaches the same place in all three.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { makeCert } from "../l4/helpers/tls.ts";
import { cn, sClient } from "./https-helpers.ts";
import { lineBackend, parseRaw, type LineBackend, type SeenLine } from "./helpers/line-backend.ts";
import { removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";

let def: LineBackend, secret: LineBackend;
let tlsSecret: { port: number; stop(): void }, tlsOther: { port: number; stop(): void };
let n: L7Node;
let web = 0, site = 0, pass = 0;

/** A TLS listener presenting a certificate for `name` (s_client prints its CN). */
function tlsBackend(name: string) {
  const { cert, key } = makeCert(name);
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, tls: { cert, key }, socket: { data() {} } });
  return { port: l.port, stop: () => l.stop(true) };
}

beforeAll(async () => {
  [def, secret] = [lineBackend("def"), lineBackend("secret")];
  [tlsSecret, tlsOther] = [tlsBackend("passthrough-secret"), tlsBackend("passthrough-other")];
  const certs = { other: makeCert("other.test"), secret: makeCert("secret.internal") };
  n = await startNode({
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "def", routes: [{ name: "secret", match: { host: "secret.internal" }, pool: "secret" }] },
      { name: "site", protocol: "https", address: "127.0.0.1:0", pool: "def", tls: { certificates: ["other", "secret"] } },
      { name: "pass", protocol: "tls_passthrough", address: "127.0.0.1:0", pool: "tls-other", sni: [{ names: ["secret.internal"], pool: "tls-secret" }] },
    ],
    pools: [
      ...[def, secret].map((b) => ({ name: b.name, backends: [{ address: b.address }] })),
      { name: "tls-secret", backends: [{ address: `127.0.0.1:${tlsSecret.port}` }] },
      { name: "tls-other", backends: [{ address: `127.0.0.1:${tlsOther.port}` }] },
    ],
    certificates: Object.entries(certs).map(([name, c]) => ({ name, cert_pem: c.cert, key_pem: c.key })),
  });
  [web, site, pass] = [n.port("web"), n.port("site"), n.port("pass")];
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  for (const b of [def, secret, tlsSecret, tlsOther]) b?.stop();
});

const raw = async (head: string) => {
  const res = await rawExchange(web, head);
  const r = parseRaw(res.text);
  return { ...r, closed: res.closed, seen: r.backend ? (JSON.parse(r.body) as SeenLine) : undefined };
};
const get = (target: string, host: string | null, version = "1.1") =>
  raw(`GET ${target} HTTP/${version}\r\n${host === null ? "" : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);
const heads = () => def.heads.length + secret.heads.length;

describe("Host", () => {
  test("matches host routes without case, port or trailing dot", async () => {
    for (const host of ["secret.internal", "secret.internal.", "SECRET.Internal.", "secret.internal.:8080"]) {
      expect({ host, backend: (await get("/", host)).backend }).toEqual({ host, backend: "secret" });
    }
    expect((await get("/", "secret.internal.evil")).backend).toBe("def");
  });

  test("an empty or invalid Host is a 400 that closes the connection, like nginx's for the empty one", async () => {
    const before = heads();
    for (const host of ["", "secret..internal", ".secret.internal", "secret.internal..", "a@secret.internal", "secret%2einternal", "secret.internal:", "secret.internal:x", "[::1", "::1"]) {
      const r = await raw(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect({ host, status: r.status, closed: r.closed }).toEqual({ host, status: 400, closed: true });
      expect(r.body).toBe("BAD_REQUEST: BAD_HOST\n");
    }
    expect(heads()).toBe(before);
  });
});

describe("absolute-form targets", () => {
  test("route by the authority and go upstream origin-form, with the Host that matches", async () => {
    const a = await get("http://secret.internal/p/../q?x=1", "secret.internal");
    expect([a.backend, a.seen?.line, a.seen?.host]).toEqual(["secret", "GET /q?x=1 HTTP/1.1", ["secret.internal"]]);
    const b = await get("HTTP://Secret.Internal:80?y", "secret.internal.");
    expect([b.backend, b.seen?.line]).toEqual(["secret", "GET /?y HTTP/1.1"]);
    // HTTP/1.0 without Host: the authority is the host, and the backend is told it
    const c = await get("http://secret.internal/only", null, "1.0");
    expect([c.backend, c.seen?.line, c.seen?.host]).toEqual(["secret", "GET /only HTTP/1.1", ["secret.internal"]]);
  });

  test("refuse userinfo, other schemes and an authority that is not the Host, with 400 and a close", async () => {
    const before = heads();
    const cases: [string, string, string][] = [
      ["http://secret.internal/", "x", "HOST_MISMATCH"],
      ["http://secret.internal:8080/", "secret.internal", "HOST_MISMATCH"],
      ["https://secret.internal/", "secret.internal:80", "HOST_MISMATCH"],
      ["http://a@evil.example/p", "evil.example", "USERINFO_IN_TARGET"],
      ["http://user:pw@secret.internal/", "secret.internal", "USERINFO_IN_TARGET"],
      ["ftp://secret.internal/p", "secret.internal", "BAD_TARGET"],
      ["http:///p", "secret.internal", "BAD_TARGET"],
    ];
    for (const [target, host, reason] of cases) {
      const r = await raw(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect({ target, status: r.status, body: r.body, closed: r.closed }).toEqual({ target, status: 400, body: `BAD_REQUEST: ${reason}\n`, closed: true });
    }
    expect(heads()).toBe(before);
  });
});

describe("one host matcher for routes, certificates and passthrough rules", () => {
  test("every spelling of secret.internal picks its certificate and its passthrough pool", async () => {
    for (const name of ["secret.internal", "SECRET.Internal", "secret.internal."]) {
      expect({ name, cert: cn(await sClient(site, ["-servername", name])) }).toEqual({ name, cert: "secret.internal" });
      expect({ name, pass: cn(await sClient(pass, ["-servername", name])) }).toEqual({ name, pass: "passthrough-secret" });
    }
    expect(cn(await sClient(site, ["-servername", "secret.internal.evil"]))).toBe("other.test");
    expect(cn(await sClient(pass, ["-servername", "secret.internal.evil"]))).toBe("passthrough-other");
  }, 30_000);
});
