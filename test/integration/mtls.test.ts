/**
 * Client certificates (mTLS) on https listeners, through a real node with curl and openssl
 * s_client and certificates openssl made for the test: `require` refuses the handshake without a
 * valid certificate (none, expired, wrong CA), `optional` serves clients without one and answers
 * 403 CLIENT_CERT_INVALID to an invalid one; a verified certificate goes upstream in Envoy's
 * x-forwarded-client-cert (the client's own stripped), is logged, and routes match on it. The
 * same over HTTP/2 (ALPN h2, curl --http2 and node:http2): client_auth and ALPN on one listener.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { run, sClient } from "./https-helpers.ts";
import { backend, metric, removeTempDirs, startNode, tempDir, until, type Backend, type L7Node } from "./helpers/l7-node.ts";
import { makeMtlsCerts, type MtlsCerts, type Pem } from "./helpers/mtls-certs.ts";
import { curlFrom } from "./helpers/source-client.ts";
import { closeH2From, h2From } from "./helpers/h2-from.ts";

let certs: MtlsCerts;
let n: L7Node;
let dir: string;
const backends: Record<string, Backend> = {};

beforeAll(async () => {
  dir = tempDir();
  certs = await makeMtlsCerts(dir);
  for (const name of ["app", "a", "b", "admin"]) backends[name] = backend(name);
  const pool = (name: string) => ({ name, backends: [{ address: backends[name]!.address }] });
  n = await startNode({
    listeners: [
      {
        name: "mtls", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site", "site-b"] },
        client_auth: { ca_pem: certs.ca.crt }, access_log: join(dir, "access.log"),
        routes: [
          { name: "tenant-a", match: { client_cert: { san: "spiffe://acme/client-a" } }, pool: "a" },
          { name: "by-subject", match: { client_cert: { subject: "O=Acme,CN=client-b" } }, pool: "b" },
          { name: "rest", pool: "app" },
        ],
      },
      {
        name: "opt", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site"] },
        client_auth: { ca: "clients-ca", mode: "optional" },
        access_log: { path: join(dir, "opt.log"), format: "text", fields: ["path", "status", "client_cert_subject", "client_cert_san"] },
        routes: [
          { name: "certified", match: { path_prefix: "/admin", client_cert: { san: ["client-b.test", "spiffe://acme/*"] } }, pool: "admin" },
          { name: "admin-refused", match: { path_prefix: "/admin" }, access: { deny: ["0.0.0.0/0", "::/0"] } },
          { name: "rest", pool: "app" },
        ],
      },
      { name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "app", trusted_proxies: ["127.0.0.5/32"] },
    ],
    pools: ["app", "a", "b", "admin"].map(pool),
    certificates: [
      { name: "site", cert_pem: certs.site.crt, key_pem: certs.site.key },
      { name: "site-b", cert_pem: certs.siteB.crt, key_pem: certs.siteB.key },
      // a CA needs no key: only its certificate verifies clients
      { name: "clients-ca", cert_pem: certs.ca.crt },
    ],
  });
}, 30_000);

afterAll(async () => {
  closeH2From();
  await killAll();
  for (const b of Object.values(backends)) b.stop();
  removeTempDirs();
});

interface Answer {
  code: number;
  status: number;
  head: string;
  body: string;
  stderr: string;
}

/**
 * curl to listener `name` with client certificate `cert` (or none); `host` picks the SNI name.
 * HTTP/1.1 unless `extra` asks for --http2 (ALPN offers h2 first).
 */
async function get(name: string, path: string, cert?: Pem, extra: string[] = [], host = "localhost"): Promise<Answer> {
  const port = n.port(name);
  const r = await run([
    "curl", "-sS", "-k", "--max-time", "5", "-D", "-", "--resolve", `${host}:${port}:127.0.0.1`,
    ...(cert ? ["--cert", cert.crtFile, "--key", cert.keyFile] : []), ...(extra.includes("--http2") ? [] : ["--http1.1"]), ...extra,
    `https://${host}:${port}${path}`,
  ]);
  const split = r.stdout.indexOf("\r\n\r\n");
  const head = split < 0 ? r.stdout : r.stdout.slice(0, split);
  return { code: r.code, status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1] ?? 0), head: head.toLowerCase(), body: split < 0 ? "" : r.stdout.slice(split + 4), stderr: r.stderr };
}

const seen = (a: Answer) => JSON.parse(a.body) as { backend: string; headers: Record<string, string> };

describe("client_auth require", () => {
  test("a valid certificate is served, its identity passed upstream as x-forwarded-client-cert (the client's own stripped)", async () => {
    const a = await get("mtls", "/", certs.clientA, ["-H", "x-forwarded-client-cert: Hash=forged;Subject=\"CN=admin\""]);
    expect(a.status).toBe(200);
    const s = seen(a);
    expect(s.backend).toBe("a");
    const hash = await certs.sha256(certs.clientA.crtFile);
    expect(s.headers["x-forwarded-client-cert"]).toBe(
      `By=spiffe://acme/fulcrum;Hash=${hash};Subject="O=Acme,CN=client-a";URI=spiffe://acme/client-a;DNS=client-a.test`,
    );
  });

  test("routes match the certificate's subject; the certificate SNI picks verifies clients too", async () => {
    expect(seen(await get("mtls", "/", certs.clientB)).backend).toBe("b");
    const viaB = await get("mtls", "/", certs.clientA, [], "b.test");
    expect(viaB.status).toBe(200);
    expect(seen(viaB).backend).toBe("a");
  });

  test("no certificate, an expired one or one from another CA fails the handshake; nothing reaches a backend", async () => {
    const hits = Object.values(backends).reduce((s, b) => s + b.hits, 0);
    for (const cert of [undefined, certs.expired, certs.wrongCa]) {
      const r = await get("mtls", "/", cert);
      expect(r.status).toBe(0);
      expect(r.code).not.toBe(0);
    }
    // s_client without a certificate sees the TLS 1.3 certificate_required alert
    expect(await sClient(n.port("mtls"), ["-servername", "localhost", "-ign_eof"])).toMatch(/alert certificate required|alert number 116/);
    expect(Object.values(backends).reduce((s, b) => s + b.hits, 0)).toBe(hits);
    await until(async () => {
      const m = await n.metrics();
      const r = (reason: string) => metric(m, `fulcrum_listener_client_cert_refused_total{listener="mtls",reason="${reason}"}`);
      return r("missing") === 2 && r("expired") === 1 && r("untrusted") === 1;
    }, 3000);
  });

  test("the access log carries the verified certificate's subject, SANs and fingerprint", async () => {
    await get("mtls", "/logged", certs.clientA);
    const hash = await certs.sha256(certs.clientA.crtFile);
    let line: any;
    await until(() => {
      const lines = (() => {
        try {
          return readFileSync(join(dir, "access.log"), "utf8").trim().split("\n");
        } catch {
          return [];
        }
      })();
      line = lines.map((l) => JSON.parse(l)).find((e) => e.path === "/logged");
      return line !== undefined;
    }, 3000);
    expect(line.client_cert_subject).toBe("O=Acme,CN=client-a");
    expect(line.client_cert_san).toEqual(["DNS:client-a.test", "URI:spiffe://acme/client-a"]);
    expect(line.client_cert_sha256).toBe(hash);
  });
});

/** The access log lines of `file` (in the test's folder) once `pred` holds for them (bounded). */
async function logLines(file: string, pred: (lines: string[]) => boolean): Promise<string[]> {
  let lines: string[] = [];
  await until(() => {
    try {
      lines = readFileSync(join(dir, file), "utf8").trim().split("\n");
    } catch {
      lines = [];
    }
    return pred(lines);
  }, 10_000);
  return lines;
}

describe("client_auth optional", () => {
  test("a client without a certificate is served with no x-forwarded-client-cert, even one it sends", async () => {
    const r = await get("opt", "/", undefined, ["-H", "x-forwarded-client-cert: Hash=forged"]);
    expect(r.status).toBe(200);
    expect(seen(r).headers["x-forwarded-client-cert"]).toBeUndefined();
  });

  test("with a valid certificate, routes that ask for one match; without, the fallback route refuses", async () => {
    const withCert = await get("opt", "/admin", certs.clientB);
    expect(seen(withCert).backend).toBe("admin");
    expect(seen(withCert).headers["x-forwarded-client-cert"]).toContain('Subject="O=Acme,CN=client-b";DNS=Client-B.test');
    expect(seen(await get("opt", "/admin", certs.clientA)).backend).toBe("admin");
    const without = await get("opt", "/admin");
    expect(without.status).toBe(403);
    expect(without.head).toContain("x-fulcrum-error: access_denied");
  });

  test("a text access log can carry the certificate's subject and SANs; '-' without one", async () => {
    await get("opt", "/text-with", certs.clientA);
    await get("opt", "/text-without");
    // Each worker writes its own lines, in its own flushes: wait for both, in whatever order.
    const lines = await logLines("opt.log", (l) => l.some((x) => x.startsWith("/text-without")) && l.some((x) => x.startsWith("/text-with ")));
    expect(lines).toContain("/text-with 200 O=Acme,CN=client-a DNS:client-a.test,URI:spiffe://acme/client-a");
    expect(lines).toContain("/text-without 200 - -");
  });

  test("an expired certificate or one from another CA gets 403 CLIENT_CERT_INVALID and a closed connection", async () => {
    for (const [cert, reason] of [[certs.expired, "expired"], [certs.wrongCa, "untrusted"]] as const) {
      const r = await get("opt", "/", cert);
      expect(r.status).toBe(403);
      expect(r.head).toContain("x-fulcrum-error: client_cert_invalid");
      expect(r.head).toContain("connection: close");
      expect(metric(await n.metrics(), `fulcrum_listener_client_cert_refused_total{listener="opt",reason="${reason}"}`)).toBe(1);
    }
  });
});

describe("client_auth over HTTP/2 (ALPN h2)", () => {
  test("a valid certificate is served over h2, with x-forwarded-client-cert set (the client's own stripped) and routes matching it", async () => {
    const a = await get("mtls", "/", certs.clientA, ["--http2", "-H", "x-forwarded-client-cert: Hash=forged;Subject=\"CN=admin\""]);
    expect(a.head).toStartWith("http/2 200");
    const hash = await certs.sha256(certs.clientA.crtFile);
    expect(seen(a).backend).toBe("a");
    expect(seen(a).headers["x-forwarded-client-cert"]).toBe(
      `By=spiffe://acme/fulcrum;Hash=${hash};Subject="O=Acme,CN=client-a";URI=spiffe://acme/client-a;DNS=client-a.test`,
    );
    const b = await get("mtls", "/", certs.clientB, ["--http2"], "b.test");
    expect(b.head).toStartWith("http/2 200");
    expect(seen(b).backend).toBe("b");
  });

  test("require: no certificate or an invalid one fails the handshake whatever ALPN would pick", async () => {
    for (const cert of [undefined, certs.expired, certs.wrongCa]) {
      const r = await get("mtls", "/", cert, ["--http2"]);
      expect(r.status).toBe(0);
      expect(r.code).not.toBe(0);
    }
  });

  test("optional: an invalid certificate's stream gets 403 CLIENT_CERT_INVALID, then GOAWAY and a closed connection", async () => {
    const r = await get("opt", "/", certs.expired, ["--http2"]);
    expect(r.head).toStartWith("http/2 403");
    expect(r.head).toContain("x-fulcrum-error: client_cert_invalid");
    const c = h2From("127.0.0.1", n.port("opt"), { cert: certs.wrongCa.crt, key: certs.wrongCa.key });
    const res = await c.get("/");
    expect(res.status).toBe(403);
    expect(res.headers["x-fulcrum-error"]).toBe("CLIENT_CERT_INVALID");
    await c.waitClosed();
    expect(c.goaway).toBe(0);
    // a valid certificate on the same listener: served, many streams on one connection
    const ok = h2From("127.0.0.1", n.port("opt"), { cert: certs.clientB.crt, key: certs.clientB.key });
    const [x, y] = await Promise.all([ok.get("/admin/1"), ok.get("/admin/2")]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect(JSON.parse(x.body).headers["x-forwarded-client-cert"]).toContain('Subject="O=Acme,CN=client-b"');
    ok.close();
  });
});

test("a plain http listener strips a client's x-forwarded-client-cert, and keeps a trusted proxy's", async () => {
  const res = await fetch(`http://127.0.0.1:${n.port("plain")}/`, { headers: { "x-forwarded-client-cert": "Hash=forged" } });
  const body = (await res.json()) as { headers: Record<string, string> };
  expect(body.headers["x-forwarded-client-cert"]).toBeUndefined();
  const viaProxy = await curlFrom("127.0.0.5", `http://127.0.0.1:${n.port("plain")}/`, ["-H", "x-forwarded-client-cert: Hash=abc"]);
  expect((JSON.parse(viaProxy.body) as { headers: Record<string, string> }).headers["x-forwarded-client-cert"]).toBe("Hash=abc");
});

describe("bad client_auth config", () => {
  const put = async (doc: unknown) => {
    const r = await fetch(`${n.node.url}/v1/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
    return { status: r.status, body: (await r.json()) as any };
  };
  const doc = (listener: Record<string, unknown>, routes: unknown[] = []) => ({
    listeners: [{ name: "x", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site"] }, routes, ...listener }],
    pools: [{ name: "app", backends: [{ address: backends.app!.address }] }],
    certificates: [{ name: "site", cert_pem: certs.site.crt, key_pem: certs.site.key }],
  });
  const paths = (r: { body: any }) => r.body.error.details.map((d: any) => d.path);

  test("a CA bundle that does not parse is a 400 naming the field", async () => {
    const garbage = await put(doc({ client_auth: { ca_pem: "not a certificate" } }));
    expect(garbage.status).toBe(400);
    expect(paths(garbage)).toEqual(["listeners[0].client_auth.ca_pem"]);
    const broken = certs.ca.crt.replace(/\n[A-Za-z0-9+/]{20}/, "\n!!!!!!!!!!!!!!!!!!!!");
    expect(paths(await put(doc({ client_auth: { ca_pem: broken } })))).toEqual(["listeners[0].client_auth.ca_pem"]);
  });

  test("other mistakes name their field too", async () => {
    expect(paths(await put(doc({ client_auth: { ca: "nope" } })))).toEqual(["listeners[0].client_auth.ca"]);
    expect(paths(await put(doc({ client_auth: { ca: "site", ca_pem: certs.ca.crt } })))).toEqual(["listeners[0].client_auth"]);
    expect(paths(await put(doc({ protocol: "http", tls: undefined, client_auth: { ca_pem: certs.ca.crt } })))).toEqual(["listeners[0].client_auth"]);
    expect(paths(await put(doc({}, [{ name: "r", match: { client_cert: {} } }])))).toEqual(["listeners[0].routes[0].match.client_cert"]);
    // a certificate without a key is only allowed as a CA
    const keyless = doc({ tls: { certificates: ["ca"] } });
    keyless.certificates.push({ name: "ca", cert_pem: certs.ca.crt } as any);
    expect(paths(await put(keyless))).toEqual(["certificates[1].key_pem"]);
    // the node still serves what it had
    expect((await get("mtls", "/", certs.clientA)).status).toBe(200);
  });
});
